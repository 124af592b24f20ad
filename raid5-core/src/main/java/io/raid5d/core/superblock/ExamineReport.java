package io.raid5d.core.superblock;

import io.raid5d.bitmap.format.BitmapSuperblock;
import io.raid5d.bitmap.format.MdHumanSize;

import java.time.ZoneId;

/**
 * Formats a member's superblock the way {@code mdadm --examine} (mdadm 4.2) prints a v1.2 RAID-5
 * member: same labels, order, blank lines and value formats.
 */
public final class ExamineReport {
    /** Extra sectors md keeps after the superblock before anything may start ("match kernel"). */
    private static final long KERNEL_SUPERBLOCK_SPACE = (32 + 4) * 2;

    private ExamineReport() {
    }

    /**
     * @param path          the member path, printed as the first line
     * @param sb            the member's superblock (decoded leniently to show a bad checksum)
     * @param deviceSectors the member's size in 512-byte sectors (for "Unused Space ... after")
     * @param bitmap        the internal bitmap header, or null (it sizes the bitmap area)
     * @param homeHost      this host's name for "(local to host ...)", or null
     * @param zone          time zone for the creation and update times (mdadm uses the local zone)
     */
    public static String format(String path, Superblock sb, long deviceSectors, BitmapSuperblock bitmap,
                                String homeHost, ZoneId zone) {
        StringBuilder out = new StringBuilder(1400);
        out.append(path).append(":\n");
        field(out, "Magic", hex8(sb.getMagic()));
        field(out, "Version", "1." + minorVersion(sb.getSuperOffset()));
        field(out, "Feature Map", "0x" + Integer.toHexString(sb.getFeatureMap()));
        field(out, "Array UUID", MdUuid.format(sb.getSetUuid()));
        field(out, "Name", sb.getSetName() + localSuffix(sb.getSetName(), homeHost));
        field(out, "Creation Time", MdTimestamp.format(sb.getCtime(), zone));
        field(out, "Raid Level", "raid" + sb.getLevel());
        field(out, "Raid Devices", Integer.toString(sb.getRaidDisks()));
        out.append('\n');
        field(out, "Avail Dev Size", sb.getDataSize() + " sectors" + MdHumanSize.suffix(sb.getDataSize() << 9));
        long arrayBytes = (sb.getSize() << 9) * (sb.getRaidDisks() - 1);
        field(out, "Array Size", (arrayBytes >> 10) + " KiB" + MdHumanSize.suffix(arrayBytes));
        if (sb.getSize() != sb.getDataSize()) {
            field(out, "Used Dev Size", sb.getSize() + " sectors" + MdHumanSize.suffix(sb.getSize() << 9));
        }
        if (sb.getDataOffset() != 0) {
            field(out, "Data Offset", sb.getDataOffset() + " sectors");
        }
        boolean newOffset = sb.getNewOffset() != 0 && (sb.getFeatureMap() & Superblock.FEATURE_NEW_OFFSET) != 0;
        if (newOffset) {
            field(out, "New Offset", (sb.getDataOffset() + sb.getNewOffset()) + " sectors"); // absolute, as mdadm prints it
        }
        field(out, "Super Offset", sb.getSuperOffset() + " sectors");
        if (sb.hasRecoveryOffset()) {
            field(out, "Recovery Offset", sb.getRecoveryOffset() + " sectors");
        }
        if (!newOffset) { // mdadm leaves it out while a new offset is pending
            unusedSpace(out, sb, deviceSectors, bitmap);
        }
        field(out, "State", sb.isClean() ? "clean" : "active");
        field(out, "Device UUID", MdUuid.format(sb.getDeviceUuid()));
        out.append('\n');
        if (sb.hasBitmap()) {
            field(out, "Internal Bitmap", sb.getBitmapOffset() + " sectors from superblock");
        }
        if (sb.reshapeActive()) {
            field(out, "Reshape pos'n", (sb.getReshapePosition() / 2) + MdHumanSize.suffix(sb.getReshapePosition() << 9));
            if (sb.getDeltaDisks() != 0) {
                field(out, "Delta Devices", sb.getDeltaDisks() + " (" + (sb.getRaidDisks() - sb.getDeltaDisks()) + "->"
                        + sb.getRaidDisks() + ")");
            }
            if (sb.getNewLevel() != sb.getLevel()) {
                field(out, "New Level", sb.getNewLevel() == 5 ? "raid5" : "-unknown-");
            }
            if (sb.getNewLayoutCode() != sb.getLayout().mdCode()) {
                String name;
                try {
                    name = io.raid5d.core.geometry.Layout.fromMdCode(sb.getNewLayoutCode()).mdName();
                } catch (IllegalArgumentException e) {
                    name = "-unknown-";
                }
                field(out, "New Layout", name);
            }
            if (sb.getNewChunkSectors() != sb.getChunkSectors()) {
                field(out, "New Chunksize", (sb.getNewChunkSectors() / 2) + "K");
            }
            out.append('\n');
        }
        if (sb.getDevFlags() != 0) {
            StringBuilder flags = new StringBuilder();
            if ((sb.getDevFlags() & Superblock.DEVFLAG_WRITE_MOSTLY) != 0) {
                flags.append(" write-mostly");
            }
            if ((sb.getDevFlags() & Superblock.DEVFLAG_FAILFAST) != 0) {
                flags.append(" failfast");
            }
            out.append("          Flags :").append(flags).append('\n');
        }
        field(out, "Update Time", MdTimestamp.format(sb.getUtime(), zone));
        if (sb.getBblogSize() != 0 && sb.getBblogOffset() != 0) {
            String bbl = (sb.getBblogSize() * 512 / 8) + " entries available at offset " + sb.getBblogOffset()
                    + " sectors";
            if ((sb.getFeatureMap() & Superblock.FEATURE_BAD_BLOCKS) != 0) {
                bbl += " - bad blocks present.";
            }
            field(out, "Bad Block Log", bbl);
        }
        if (sb.getChecksum() == sb.getExpectedChecksum()) {
            field(out, "Checksum", Integer.toHexString(sb.getChecksum()) + " - correct");
        } else {
            field(out, "Checksum", Integer.toHexString(sb.getChecksum()) + " - expected "
                    + Integer.toHexString(sb.getExpectedChecksum()));
        }
        field(out, "Events", Long.toUnsignedString(sb.getEvents()));
        out.append('\n');
        field(out, "Layout", sb.getLayout().mdName());
        field(out, "Chunk Size", (sb.getChunkSectors() / 2) + "K");
        out.append('\n');
        // mdadm prints these two labels one column further left than the rest.
        out.append("   Device Role : ").append(roleText(sb)).append('\n');
        out.append("   Array State : ").append(arrayState(sb))
                .append(" ('A' == active, '.' == missing, 'R' == replacing)\n");
        return out.toString();
    }

    /** "AAA.": per active slot, 'A' one member holds it, '.' none, 'R' two (replacement in progress). */
    public static String arrayState(Superblock sb) {
        int[] roles = sb.getDevRoles();
        StringBuilder s = new StringBuilder(sb.getRaidDisks());
        for (int slot = 0; slot < sb.getRaidDisks(); slot++) {
            int count = 0;
            for (int role : roles) {
                if (role == slot) {
                    count++;
                }
            }
            s.append(count == 2 ? 'R' : count == 1 ? 'A' : count == 0 ? '.' : '?');
        }
        return s.toString();
    }

    private static String roleText(Superblock sb) {
        int role = sb.role();
        if (role >= Superblock.ROLE_FAULTY) {
            return "spare";
        }
        if (role == Superblock.ROLE_JOURNAL) {
            return "Journal";
        }
        if (sb.isReplacement()) {
            return "Replacement device " + role;
        }
        return "Active device " + role;
    }

    /**
     * mdadm's "Unused Space" for a superblock before the data: space between the end of the
     * metadata (superblock area, bitmap, bad block log) and data_offset, and past the used size.
     * On a truncated member mdadm 4.2 prints "after" as a wrapped unsigned number; so does this.
     */
    private static void unusedSpace(StringBuilder out, Superblock sb, long deviceSectors, BitmapSuperblock bitmap) {
        long superOffset = sb.getSuperOffset();
        long dataOffset = sb.getDataOffset();
        long before;
        long after;
        if (dataOffset < superOffset) {
            // v1.0 layout; decode never lets one through, kept for completeness.
            before = dataOffset;
            long end = superOffset;
            if (sb.getBblogOffset() != 0 && sb.getBblogSize() != 0) {
                end = Math.min(end, superOffset + sb.getBblogOffset());
            }
            if (sb.hasBitmap()) {
                end = Math.min(end, superOffset + sb.getBitmapOffset());
            }
            after = dataOffset + sb.getSize() < end ? end - sb.getSize() - dataOffset : 0;
        } else {
            long earliest = superOffset + KERNEL_SUPERBLOCK_SPACE;
            if (sb.hasBitmap() && sb.getBitmapOffset() > 0) {
                long area = bitmap != null ? bitmap.areaBytes(4096) : 4096;
                // mdadm compares the bitmap's end relative to the superblock with an absolute
                // sector; reproduced as is so the numbers match.
                long bitmapEnd = sb.getBitmapOffset() + area / 512;
                earliest = Math.max(earliest, bitmapEnd);
            }
            if (sb.getBblogOffset() != 0 && sb.getBblogSize() != 0) {
                earliest = Math.max(earliest, superOffset + sb.getBblogOffset() + sb.getBblogSize());
            }
            before = earliest < dataOffset ? dataOffset - earliest : 0;
            after = deviceSectors - sb.getSize() - dataOffset;
        }
        if (before == 0 && after == 0) {
            return; // mdadm hides the line when there is no room either side
        }
        field(out, "Unused Space", "before=" + before + " sectors, after=" + Long.toUnsignedString(after)
                + " sectors");
    }

    private static String localSuffix(String name, String homeHost) {
        if (homeHost == null) {
            return "";
        }
        int l = homeHost.length();
        if (l > 0 && l < 32 && name.length() > l && name.charAt(l) == ':' && name.startsWith(homeHost)) {
            return "  (local to host " + homeHost + ")";
        }
        return "";
    }

    private static int minorVersion(long superOffset) {
        if (superOffset <= 4) {
            return 1;
        }
        return superOffset <= 8 ? 2 : 0;
    }

    private static String hex8(int v) {
        String h = Integer.toHexString(v);
        return "00000000".substring(h.length()) + h;
    }

    private static void field(StringBuilder out, String label, String value) {
        for (int i = label.length(); i < 15; i++) {
            out.append(' ');
        }
        out.append(label).append(" : ").append(value).append('\n');
    }
}
