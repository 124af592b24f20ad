package io.raid5d.nbd.transmission;

import io.netty.channel.DefaultFileRegion;
import java.nio.channels.FileChannel;

/**
 * A {@link DefaultFileRegion} over a file the export owns. It is one (not a FileRegion of our
 * own) because the native transports send only DefaultFileRegions with sendfile/splice; and
 * unlike one it never closes the file when released.
 */
final class SliceRegion extends DefaultFileRegion {

    SliceRegion(FileChannel file, long position, long count) {
        super(file, position, count);
    }

    @Override
    protected void deallocate() {
        // the export's file: not ours to close
    }
}
