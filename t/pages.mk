# tests: the report pages (results/<experiment>/index.html and
# results/index.html): t/pages-check checks that every picture and link
# resolves, headless Chromium that the pictures render (docs/pages.md).
check_PROGRAMS += t/pages-check
t_pages_check_SOURCES = t/pages-check.c
TESTS += t/pages.sh
EXTRA_DIST += t/pages.sh
