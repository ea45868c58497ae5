# The programs scripts/compile-time measures; built here so they keep compiling.
foreach(prog typical typical_narrow)
  add_executable(compile_time_${prog} ${CMAKE_CURRENT_SOURCE_DIR}/compile_time/${prog}.cpp)
  target_link_libraries(compile_time_${prog} PRIVATE spate::spate spate_warnings)
  add_test(NAME compile_time_${prog} COMMAND compile_time_${prog})
endforeach()
