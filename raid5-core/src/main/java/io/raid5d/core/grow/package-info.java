/**
 * Growing an array to more members in md's reshape format (issue #18): the superblock states of
 * a grow ({@link GrowSuperblocks}) and the sweep that moves the data ({@link OfflineGrow}, on a
 * stopped array; the online grow will drive the same steps through the engine).
 */
package io.raid5d.core.grow;
