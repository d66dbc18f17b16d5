# tests: `cnnlab report`, the writeup document (report.md, report.tex and,
# with pdflatex, report.pdf) from a results directory (docs/cli.md).
# t/part-a-smoke.sh also builds the report of every Part A and Part B
# manifest's smoke results.
TESTS += t/report.sh
EXTRA_DIST += t/report.sh
