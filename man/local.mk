# Manual pages, hand-written roff: cnnlab(1), the command, and
# cnnlab-manifest(5), the manifest format (t/man.sh checks that they
# format cleanly and name every command and option of `cnnlab --help`).
dist_man_MANS = man/cnnlab.1 man/cnnlab-manifest.5
