package io.raid5d.core.member;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** Opens members exclusively: regular files under a file lock, block devices with O_EXCL. */
public final class MemberDevices {

    private MemberDevices() {
    }

    /**
     * Opens {@code path} (symlinks followed) as a member.
     *
     * <p>A regular file is locked for the device's life: exclusively, or shared when
     * {@code readOnly}; a lock held by another process or by this one means "busy". A block
     * device is opened with O_EXCL (also when {@code readOnly}) and that descriptor is kept
     * open, so another exclusive open or a mount gets EBUSY.
     *
     * @throws MemberOpenException naming the path and why: no such file, not a regular file
     *                             or block device, permission denied, busy, I/O error
     */
    public static MemberDevice open(Path path, boolean readOnly) throws MemberOpenException {
        return open(path, readOnly, DirectIoMode.AUTO);
    }

    /** Providers of members that are not paths (remote exports), found once on the class path. */
    private static final List<MemberDeviceProvider> PROVIDERS =
            ServiceLoader.load(MemberDeviceProvider.class, MemberDevices.class.getClassLoader()).stream()
                    .map(ServiceLoader.Provider::get).toList();

    private static Optional<MemberDeviceProvider> providerOf(String member) {
        return PROVIDERS.stream().filter(p -> p.names(member)).findFirst();
    }

    /**
     * Opens the member named {@code member}: a path (a regular file or a block device, as
     * {@link #open(Path, boolean, DirectIoMode)}), or a name a {@link MemberDeviceProvider} claims
     * (an {@code nbd://} URI when the remote-member module is present).
     */
    public static MemberDevice open(String member, boolean readOnly, DirectIoMode directIo) throws MemberOpenException {
        Optional<MemberDeviceProvider> provider = providerOf(member);
        if (provider.isPresent()) {
            return provider.get().open(member, readOnly);
        }
        return open(Path.of(member), readOnly, directIo);
    }

    /** As {@link #open(String, boolean, DirectIoMode)} with direct I/O where it is the default. */
    public static MemberDevice open(String member, boolean readOnly) throws MemberOpenException {
        return open(member, readOnly, DirectIoMode.AUTO);
    }

    /** As {@link #openForInspection(Path)}; a provider's member is opened read-only (a remote export has no lock to keep). */
    public static MemberDevice openForInspection(String member) throws MemberOpenException {
        Optional<MemberDeviceProvider> provider = providerOf(member);
        if (provider.isPresent()) {
            return provider.get().open(member, true);
        }
        return openForInspection(Path.of(member));
    }

    /** True when {@code member} names a local path, not a provider's member. */
    public static boolean isPath(String member) {
        return providerOf(member).isEmpty();
    }

    /**
     * The spelling that identifies a member: a path made absolute and normalized (symlinks are
     * not resolved), a provider's name in its own canonical form.
     */
    public static String canonicalName(String member) {
        Optional<MemberDeviceProvider> provider = providerOf(member);
        if (provider.isPresent()) {
            return provider.get().canonical(member);
        }
        try {
            return Path.of(member).toAbsolutePath().normalize().toString();
        } catch (RuntimeException e) {
            return member;
        }
    }

    /** Paths as member names. */
    public static List<String> names(List<Path> paths) {
        return paths.stream().map(Path::toString).toList();
    }

    /**
     * As {@link #open(Path, boolean)}, with member data read and written directly (O_DIRECT,
     * bypassing the page cache) where {@code directIo} says so.
     */
    public static MemberDevice open(Path path, boolean readOnly, DirectIoMode directIo) throws MemberOpenException {
        String name = path.toString();
        BasicFileAttributes attrs = attributes(path);
        if (attrs.isRegularFile()) {
            return openFile(path, name, readOnly, directIo.appliesTo(false));
        }
        if (attrs.isOther() && BlockDeviceClaim.isBlockDevice(name)) {
            return openBlockDevice(path, name, readOnly, directIo.appliesTo(true));
        }
        throw new MemberOpenException(name, MemberOpenException.Reason.NOT_A_DEVICE,
                attrs.isDirectory() ? "a directory" : null);
    }

    /** tmpfs or ramfs: the file's pages are its storage, so reading a cached page never fails. */
    private static boolean onMemoryFileSystem(Path path) {
        try {
            String type = Files.getFileStore(path).type();
            return type.equals("tmpfs") || type.equals("ramfs");
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * Opens a member read-only without its lock or O_EXCL claim, to look at it while an array
     * runs it (as {@code mdadm -E}/{@code -X} read members of a running array, and as the daemon's
     * scan must see members another process holds). A block device's size comes from sysfs, so
     * no ioctl is needed. A file this process holds is refused: closing a second descriptor of
     * it would drop this process's lock.
     */
    public static MemberDevice openForInspection(Path path) throws MemberOpenException {
        String name = path.toString();
        BasicFileAttributes attrs = attributes(path);
        boolean block = attrs.isOther() && BlockDeviceClaim.isBlockDevice(name);
        if (!attrs.isRegularFile() && !block) {
            throw new MemberOpenException(name, MemberOpenException.Reason.NOT_A_DEVICE,
                    attrs.isDirectory() ? "a directory" : null);
        }
        if (isHeldByThisProcess(path)) {
            throw new MemberOpenException(name, MemberOpenException.Reason.BUSY,
                    "a member this process holds; opening it again would drop its lock");
        }
        FileChannel channel = openChannel(path, name, true);
        try {
            long size = block ? blockDeviceBytesFromSysfs(path) : channel.size();
            return new FileMemberDevice(name, channel, () -> { }, size, block, true);
        } catch (IOException | RuntimeException e) {
            closeQuietly(channel, e);
            throw new MemberOpenException(name, MemberOpenException.Reason.IO_ERROR, e.toString(), e);
        }
    }

    /** An open that failed, said as a member open failure: not found, permission denied, or the I/O error. */
    private static MemberOpenException openFailure(String name, IOException e) {
        if (e instanceof NoSuchFileException) {
            return new MemberOpenException(name, MemberOpenException.Reason.NOT_FOUND, null, e);
        }
        if (e instanceof AccessDeniedException) {
            return new MemberOpenException(name, MemberOpenException.Reason.PERMISSION_DENIED, null, e);
        }
        return new MemberOpenException(name, MemberOpenException.Reason.IO_ERROR, e.toString(), e);
    }

    /** The path's attributes (symlinks followed); what is wrong with it named as a member open failure. */
    private static BasicFileAttributes attributes(Path path) throws MemberOpenException {
        String name = path.toString();
        try {
            return Files.readAttributes(path, BasicFileAttributes.class);
        } catch (IOException e) {
            throw openFailure(name, e);
        }
    }

    /** A block device's size from /sys/class/block/NAME/size (512-byte sectors there). */
    private static long blockDeviceBytesFromSysfs(Path dev) throws IOException {
        String name = dev.toRealPath().getFileName().toString();
        return Long.parseLong(Files.readString(Path.of("/sys/class/block", name, "size")).strip()) * 512;
    }

    /**
     * Member files this process holds locked, by file key (device and inode, whatever the path's
     * spelling). Java's file locks are POSIX record locks here: closing ANY descriptor of a file in
     * this process drops the process's lock on it, so a held file must never be opened a second
     * time in-process just to look at it (e.g. a scan for members): another process could then
     * open a running member as free.
     */
    private static final Set<Object> HELD = ConcurrentHashMap.newKeySet();

    /** True when this process holds {@code path} as an open member file. */
    public static boolean isHeldByThisProcess(Path path) {
        Object key = fileKey(path);
        return key != null && HELD.contains(key);
    }

    private static Object fileKey(Path path) {
        try {
            return Files.readAttributes(path, BasicFileAttributes.class).fileKey();
        } catch (IOException e) {
            return null;
        }
    }

    private static MemberDevice openFile(Path path, String name, boolean readOnly, boolean direct)
            throws MemberOpenException {
        FileChannel channel = direct ? openDirectChannel(path, name, readOnly) : openChannel(path, name, readOnly);
        try {
            FileLock lock;
            try {
                lock = channel.tryLock(0, Long.MAX_VALUE, readOnly);
            } catch (OverlappingFileLockException e) {
                throw new MemberOpenException(name, MemberOpenException.Reason.BUSY, "already open in this process", e);
            }
            if (lock == null) {
                throw new MemberOpenException(name, MemberOpenException.Reason.BUSY, "locked by another process");
            }
            Object key = fileKey(path);
            if (key != null) {
                HELD.add(key);
            }
            AutoCloseable hold = () -> {
                try {
                    lock.close();
                } finally {
                    if (key != null) {
                        HELD.remove(key);
                    }
                }
            };
            try {
                return new FileMemberDevice(name, channel, hold, channel.size(), false, readOnly,
                        direct ? new DirectIo(channel, name, DirectIo.alignmentFor(path)) : null,
                        NativeFile.open(name, readOnly, direct), onMemoryFileSystem(path));
            } catch (IOException e) {
                closeQuietly(hold, e);
                throw e;
            }
        } catch (MemberOpenException e) {
            closeQuietly(channel, e);
            throw e;
        } catch (IOException e) {
            closeQuietly(channel, e);
            throw new MemberOpenException(name, MemberOpenException.Reason.IO_ERROR, e.toString(), e);
        }
    }

    private static MemberDevice openBlockDevice(Path path, String name, boolean readOnly, boolean direct)
            throws MemberOpenException {
        // Claim first: if another holder has it, fail before opening anything else.
        BlockDeviceClaim claim = BlockDeviceClaim.open(name, readOnly);
        try {
            FileChannel channel = direct ? openDirectChannel(path, name, readOnly) : openChannel(path, name, readOnly);
            try {
                return new FileMemberDevice(name, channel, claim, claim.sizeBytes(), true, readOnly,
                        direct ? new DirectIo(channel, name, DirectIo.alignmentFor(path)) : null,
                        NativeFile.open(name, readOnly, direct));
            } catch (IOException e) {
                closeQuietly(channel, e);
                throw new MemberOpenException(name, MemberOpenException.Reason.IO_ERROR, e.getMessage(), e);
            }
        } catch (MemberOpenException e) {
            closeQuietly(claim, e);
            throw e;
        }
    }

    /** O_DIRECT: member data bypasses the page cache; a file system that cannot do it is named. */
    private static FileChannel openDirectChannel(Path path, String name, boolean readOnly) throws MemberOpenException {
        try {
            return readOnly
                    ? FileChannel.open(path, StandardOpenOption.READ, com.sun.nio.file.ExtendedOpenOption.DIRECT)
                    : FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE,
                            com.sun.nio.file.ExtendedOpenOption.DIRECT);
        } catch (NoSuchFileException | AccessDeniedException e) {
            throw openFailure(name, e);
        } catch (IOException | UnsupportedOperationException e) {
            throw new MemberOpenException(name, MemberOpenException.Reason.IO_ERROR, "direct I/O (O_DIRECT) is not possible"
                    + " here (" + e.getMessage() + "; the file system may not support it): use direct I/O auto or off", e);
        }
    }

    private static FileChannel openChannel(Path path, String name, boolean readOnly) throws MemberOpenException {
        try {
            return readOnly
                    ? FileChannel.open(path, StandardOpenOption.READ)
                    : FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE);
        } catch (IOException e) {
            throw openFailure(name, e);
        }
    }

    private static void closeQuietly(AutoCloseable c, Exception primary) {
        try {
            c.close();
        } catch (Exception suppressed) {
            primary.addSuppressed(suppressed);
        }
    }
}
