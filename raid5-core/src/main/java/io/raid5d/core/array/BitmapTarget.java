package io.raid5d.core.array;

import java.nio.file.Path;
import java.util.Objects;

/**
 * Where an array's write-intent bitmap should be ({@code grow --bitmap internal|none|FILE}).
 *
 * @param file the bitmap file for {@link Kind#FILE}, else null
 */
public record BitmapTarget(Kind kind, Path file) {
    public enum Kind { INTERNAL, NONE, FILE }

    public BitmapTarget {
        Objects.requireNonNull(kind, "kind");
        if ((kind == Kind.FILE) != (file != null)) {
            throw new IllegalArgumentException("a bitmap file is given exactly for kind FILE");
        }
    }

    /** {@code internal}, {@code none}, or a file path (made absolute), as mdadm's --bitmap takes it. */
    public static BitmapTarget parse(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("--bitmap wants internal, none or a file path");
        }
        return switch (text) {
            case "internal" -> new BitmapTarget(Kind.INTERNAL, null);
            case "none" -> new BitmapTarget(Kind.NONE, null);
            default -> new BitmapTarget(Kind.FILE, Path.of(text).toAbsolutePath().normalize());
        };
    }

    /** As the status reports name a bitmap: internal, none, or the file's path. */
    public String location() {
        return switch (kind) {
            case INTERNAL -> "internal";
            case NONE -> "none";
            case FILE -> file.toString();
        };
    }
}
