spate_example(network_wordcount ${CMAKE_CURRENT_LIST_DIR}/network_wordcount.cpp)
