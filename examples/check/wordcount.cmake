# Runs wordcount on TEXT and compares with tr | sort | uniq -c | sort.
execute_process(COMMAND ${EXE} ${TEXT} OUTPUT_VARIABLE got RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "wordcount failed: ${rc}")
endif()
execute_process(
  COMMAND sh -c "tr -s ' \\t\\r\\n\\v\\f' '\\n\\n\\n\\n\\n\\n' < '${TEXT}' | grep -v '^$' | LC_ALL=C sort | uniq -c | awk '{print $2 \"\\t\" $1}' | LC_ALL=C sort -t \"$(printf '\\t')\" -k2,2nr -k1,1"
  OUTPUT_VARIABLE want)
if(NOT got STREQUAL want)
  message(FATAL_ERROR "wordcount output differs.\n--- got ---\n${got}\n--- want ---\n${want}")
endif()
execute_process(COMMAND ${EXE} /nonexistent/file ERROR_VARIABLE err RESULT_VARIABLE rc)
if(rc EQUAL 0 OR NOT err MATCHES "cannot open '/nonexistent/file'")
  message(FATAL_ERROR "wordcount on a missing file: rc=${rc} err=${err}")
endif()
