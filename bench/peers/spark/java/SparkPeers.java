// The Spark side of bench/peers/run: Spark Streaming's NetworkWordCount
// (DStreams, 1 s batches, socketTextStream with its default storage level)
// on a local[P + 1] master (one core for the receiver, P for the batches, as
// Spark's docs ask: local[n] with n > the number of receivers).
//
//   SparkPeers net_wc HOST PORT WORDS P
//   SparkPeers wc_batch TEXT_DIR WORDS P RUNS
//                 word count of the text as one batch: the job a DStream's
//                 batch runs (textFile, flatMap, reduceByKey on the RDD API)
//                 over the whole text at once, on local[P]; RUNS runs in one
//                 JVM, a RESULT line each, with the word count's checksum
//                 sum(fnv(word) * (2 * count + 1)) of bench/peers/run
//
// It counts the words of each batch (reduceByKey), adds an order- and
// batch-boundary-independent checksum of each batch's counts,
// sum(fnv(word) * count), and stops once WORDS words were counted. It prints
//   BATCH records=R scheduling_ms=S processing_ms=T total_ms=D
// per batch (from a StreamingListener) and then
//   RESULT run=1 records=WORDS wall_s=W cpu_s=C checksum=X
// where cpu_s is the CPU time of the whole JVM from ssc.start() to the last
// word counted: JVM start and SparkContext creation are outside it.
import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.spark.SparkConf;
import org.apache.spark.streaming.Durations;
import org.apache.spark.streaming.api.java.JavaStreamingContext;
import org.apache.spark.streaming.scheduler.BatchInfo;
import org.apache.spark.streaming.scheduler.StreamingListener;
import org.apache.spark.streaming.scheduler.StreamingListenerBatchCompleted;

import scala.Tuple2;

public final class SparkPeers {
  static final AtomicLong WORDS = new AtomicLong();
  static final AtomicLong CHECKSUM = new AtomicLong();

  static long cpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
  }

  static long fnv(String s) {
    long h = 0xcbf29ce484222325L;
    for (int i = 0; i < s.length(); ++i) h = (h ^ (s.charAt(i) & 0xff)) * 0x100000001b3L;
    return h;
  }

  static long ms(scala.Option<Object> o) {
    return o.isDefined() ? (Long) o.get() : -1;
  }

  static void wcBatch(String[] a) throws Exception {
    String dir = a[1];
    long words = Long.parseLong(a[2]);
    int p = Integer.parseInt(a[3]);
    int runs = Integer.parseInt(a[4]);
    SparkConf conf = new SparkConf().setAppName("WordCount").setMaster("local[" + p + "]")
                         .set("spark.ui.enabled", "false").set("spark.default.parallelism", Integer.toString(p));
    try (org.apache.spark.api.java.JavaSparkContext sc = new org.apache.spark.api.java.JavaSparkContext(conf)) {
      sc.setLogLevel("ERROR");
      for (int run = 1; run <= runs; ++run) {
        long c0 = cpuNanos(), t0 = System.nanoTime();
        long sum = sc.textFile(dir, p)
                       .flatMap(line -> Arrays.asList(line.split(" ")).iterator())
                       .mapToPair(w -> new Tuple2<>(w, 1L))
                       .reduceByKey(Long::sum)
                       .map(t -> fnv(t._1) * (2 * t._2 + 1))
                       .fold(0L, Long::sum);
        long c1 = cpuNanos(), t1 = System.nanoTime();
        System.out.printf("RESULT run=%d records=%d wall_s=%.6f cpu_s=%.6f checksum=%d%n", run, words, (t1 - t0) / 1e9,
                          (c1 - c0) / 1e9, sum);
        System.out.flush();
      }
    }
    System.exit(0);
  }

  public static void main(String[] a) throws Exception {
    if (a[0].equals("wc_batch")) {
      wcBatch(a);
      return;
    }
    String host = a[1];
    int port = Integer.parseInt(a[2]);
    long expected = Long.parseLong(a[3]);
    int p = Integer.parseInt(a[4]);
    SparkConf conf = new SparkConf().setAppName("NetworkWordCount").setMaster("local[" + (p + 1) + "]")
                         .set("spark.ui.enabled", "false").set("spark.default.parallelism", Integer.toString(p));
    JavaStreamingContext ssc = new JavaStreamingContext(conf, Durations.seconds(1));
    ssc.sparkContext().setLogLevel("ERROR");
    ssc.addStreamingListener(new StreamingListener() {
      @Override
      public void onBatchCompleted(StreamingListenerBatchCompleted b) {
        BatchInfo i = b.batchInfo();
        System.out.printf("BATCH records=%d scheduling_ms=%d processing_ms=%d total_ms=%d%n", i.numRecords(),
                          ms(i.schedulingDelay()), ms(i.processingDelay()), ms(i.totalDelay()));
      }
    });
    ssc.socketTextStream(host, port)
        .flatMap(line -> Arrays.asList(line.split(" ")).iterator())
        .mapToPair(w -> new Tuple2<>(w, 1L))
        .reduceByKey(Long::sum)
        .foreachRDD(rdd -> {
          Tuple2<Long, Long> s = rdd.map(t -> new Tuple2<>(t._2, fnv(t._1) * t._2))
                                     .fold(new Tuple2<>(0L, 0L), (x, y) -> new Tuple2<>(x._1 + y._1, x._2 + y._2));
          CHECKSUM.addAndGet(s._2);
          WORDS.addAndGet(s._1);
        });
    long c0 = cpuNanos(), t0 = System.nanoTime();
    ssc.start();
    while (WORDS.get() < expected) Thread.sleep(5);
    long c1 = cpuNanos(), t1 = System.nanoTime();
    System.out.printf("RESULT run=1 records=%d wall_s=%.6f cpu_s=%.6f checksum=%d%n", WORDS.get(), (t1 - t0) / 1e9,
                      (c1 - c0) / 1e9, CHECKSUM.get());
    System.out.flush();
    ssc.stop(true, false);
    System.exit(0);
  }
}
