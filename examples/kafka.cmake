# The Kafka example: needs librdkafka (spate::kafka).
if(TARGET spate::kafka)
  spate_example(kafka_wordcount ${CMAKE_CURRENT_LIST_DIR}/kafka_wordcount.cpp LIBS spate::kafka)
endif()
