# Shared by bin/raid5 and bin/raid5d: find (or build) the runnable jar and start a main class.
# Usage (sourced): launch MAIN_CLASS ARGS...
raid5d_home="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
raid5d_jar="$raid5d_home/tools/target/raid5d-all.jar"

launch() {
    local main="$1"; shift
    if [ ! -f "$raid5d_jar" ]; then
        echo "$(basename "$0"): $raid5d_jar is not built yet; building it now (mvn -DskipTests package)..." >&2
        if ! (cd "$raid5d_home" && mvn -B -q -DskipTests package >&2); then
            echo "$(basename "$0"): build failed; run 'mvn -DskipTests package' in $raid5d_home and retry" >&2
            exit 1
        fi
    fi
    # shellcheck disable=SC2086  # RAID5D_JAVA_OPTS is a list of JVM options
    exec java ${RAID5D_JAVA_OPTS:-} -cp "$raid5d_jar" "$main" "$@"
}
