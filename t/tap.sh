# TAP helpers for cnnlab's shell tests (sourced). Each check prints
# "ok N - what" or "not ok N - what" with a diagnostic.
tap_count=0
tap_failed=0

ok() { # ok STATUS DESCRIPTION: STATUS 0 passes
    tap_count=$((tap_count + 1))
    if [ "$1" -eq 0 ]; then
        echo "ok $tap_count - $2"
    else
        echo "not ok $tap_count - $2"
        tap_failed=$((tap_failed + 1))
    fi
}

like() { # like TEXT NEEDLE DESCRIPTION
    case "$1" in
    *"$2"*) ok 0 "$3" ;;
    *) ok 1 "$3"; printf '#   %s\n#   does not contain: %s\n' "$1" "$2" | head -20 ;;
    esac
}

is() { # is GOT EXPECTED DESCRIPTION
    if [ "$1" = "$2" ]; then ok 0 "$3"; else ok 1 "$3"; echo "#   got '$1', expected '$2'"; fi
}

skip_all() {
    echo "1..0 # SKIP $1"
    exit 0
}

done_testing() {
    echo "1..$tap_count"
    [ "$tap_failed" -eq 0 ]
}

# The command under test, and a scratch directory removed at exit.
CNNLAB="${CNNLAB_BUILDDIR:-.}/cnnlab"
scratch=$(mktemp -d "${TMPDIR:-/tmp}/cnnlab-test.XXXXXX")
trap 'rm -rf "$scratch"' EXIT

skip() { # skip DESCRIPTION REASON: a check that cannot run here
    tap_count=$((tap_count + 1))
    echo "ok $tap_count - $1 # SKIP $2"
}
