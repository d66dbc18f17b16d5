# tests: experiment tables (cnnlab table, the tables cnnlab run writes)
TESTS += t/table.sh
EXTRA_DIST += t/table.sh
