spate_example(wordcount ${CMAKE_CURRENT_LIST_DIR}/wordcount.cpp)
target_compile_definitions(wordcount PRIVATE
  SPATE_WORDCOUNT_DEFAULT_TEXT="${PROJECT_SOURCE_DIR}/examples/data/streams.txt")
if(BUILD_TESTING)
  # The example's output, checked against a count made by coreutils.
  add_test(NAME example_wordcount
           COMMAND ${CMAKE_COMMAND} -DEXE=$<TARGET_FILE:wordcount>
                   -DTEXT=${PROJECT_SOURCE_DIR}/examples/data/streams.txt
                   -P ${CMAKE_CURRENT_LIST_DIR}/check/wordcount.cmake)
endif()
