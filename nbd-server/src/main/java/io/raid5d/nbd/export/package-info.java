/**
 * The export SPI: what the server needs from a block device ({@link io.raid5d.nbd.export.BlockExport})
 * and how it finds exports by name ({@link io.raid5d.nbd.export.ExportRegistry}). Buffer ownership
 * and the {@code unplug()} batching hook are specified on {@code BlockExport}.
 */
package io.raid5d.nbd.export;
