# Installs spate from SPATE_BUILD into WORK/prefix, then configures, builds and
# runs the consumer project against that prefix:
#   - spate::spate, always;
#   - with KAFKA=ON (spate's build has librdkafka): spate::kafka as a required
#     component, and a program built with it;
#   - with KAFKA=ON, a user without librdkafka (pkg-config looking in an empty
#     dir): spate::spate still works, and requiring spate::kafka fails with a
#     message that names librdkafka.
file(REMOVE_RECURSE ${WORK})
function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "failed: ${ARGN}\n${out}\n${err}")
  endif()
  set(last_output "${out}" PARENT_SCOPE)
endfunction()
run(${CMAKE_COMMAND} --install ${SPATE_BUILD} --prefix ${WORK}/prefix)

run(${CMAKE_COMMAND} -S ${CONSUMER} -B ${WORK}/build -G ${GENERATOR} -DCMAKE_PREFIX_PATH=${WORK}/prefix)
run(${CMAKE_COMMAND} --build ${WORK}/build)
run(${WORK}/build/consumer)
if(NOT last_output STREQUAL "a\t2\nb\t1\n")
  message(FATAL_ERROR "consumer printed:\n${last_output}")
endif()

if(KAFKA)
  run(${CMAKE_COMMAND} -S ${CONSUMER} -B ${WORK}/build-kafka -G ${GENERATOR} -DCMAKE_PREFIX_PATH=${WORK}/prefix
      -DWITH_KAFKA=ON)
  if(NOT last_output MATCHES "consumer: spate::kafka is there")
    message(FATAL_ERROR "find_package(spate COMPONENTS kafka) gave no spate::kafka:\n${last_output}")
  endif()
  run(${CMAKE_COMMAND} --build ${WORK}/build-kafka)
  run(${WORK}/build-kafka/kafka_consumer)
  if(NOT last_output MATCHES "^bootstrap.servers=127.0.0.1:1\nlinger.ms=5\nlibrdkafka [0-9]")
    message(FATAL_ERROR "kafka_consumer printed:\n${last_output}")
  endif()

  # A user without librdkafka: pkg-config finds nothing.
  file(MAKE_DIRECTORY ${WORK}/no-pc)
  set(no_rdkafka ${CMAKE_COMMAND} -E env PKG_CONFIG_LIBDIR=${WORK}/no-pc PKG_CONFIG_PATH=)
  run(${no_rdkafka} ${CMAKE_COMMAND} -S ${CONSUMER} -B ${WORK}/build-no-rdkafka -G ${GENERATOR}
      -DCMAKE_PREFIX_PATH=${WORK}/prefix)
  if(NOT last_output MATCHES "consumer: no spate::kafka \\(spate_kafka_FOUND=FALSE\\)")
    message(FATAL_ERROR "without librdkafka, expected spate::spate alone:\n${last_output}")
  endif()
  run(${CMAKE_COMMAND} --build ${WORK}/build-no-rdkafka)
  execute_process(COMMAND ${no_rdkafka} ${CMAKE_COMMAND} -S ${CONSUMER} -B ${WORK}/build-no-rdkafka-required
                          -G ${GENERATOR} -DCMAKE_PREFIX_PATH=${WORK}/prefix -DWITH_KAFKA=ON
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(rc EQUAL 0 OR NOT err MATCHES "spate::kafka needs librdkafka")
    message(FATAL_ERROR "requiring spate::kafka without librdkafka should fail naming it (rc ${rc}):\n${out}\n${err}")
  endif()
endif()
