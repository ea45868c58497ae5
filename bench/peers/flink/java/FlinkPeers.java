// The Flink side of bench/peers/run: each workload as a DataStream job on the
// local environment (an in-process MiniCluster), run RUNS times in one JVM.
//
//   FlinkPeers stateless N P RUNS
//   FlinkPeers wc_batch|wc_streaming|wc_updates TEXT_DIR WORDS P RUNS
//   FlinkPeers tumbling N P RUNS
//
// Per run it prints one line
//   RESULT run=K records=R wall_s=W cpu_s=C checksum=X
// where cpu_s is the CPU time of the whole JVM (every thread: task threads,
// GC, JIT compiler, the MiniCluster's own) across env.execute(), so JVM start
// is excluded; run 1 includes JIT warm-up and bench/peers/run reports it
// apart. Every execute() starts and stops a MiniCluster: that cost is in the
// figure (a few tenths of a second), which the sizes are chosen to dwarf.
//
// The records and the logic are the ones of bench/peers/spate_peers.cpp;
// the checksums are order-independent sums, so both sides print the same
// number whatever order the parallel subtasks emit in.
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.flink.api.common.RuntimeExecutionMode;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.functions.AggregateFunction;
import org.apache.flink.api.common.functions.FlatMapFunction;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.WriterInitContext;
import org.apache.flink.api.java.tuple.Tuple2;
import org.apache.flink.api.java.tuple.Tuple3;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.file.src.FileSource;
import org.apache.flink.connector.file.src.reader.TextLineInputFormat;
import org.apache.flink.core.fs.Path;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.windowing.ProcessWindowFunction;
import org.apache.flink.streaming.api.windowing.assigners.GlobalWindows;
import org.apache.flink.streaming.api.windowing.assigners.TumblingEventTimeWindows;
import org.apache.flink.streaming.api.windowing.windows.TimeWindow;
import org.apache.flink.util.Collector;

public final class FlinkPeers {
  // The MiniCluster runs in this JVM, so the sinks add their subtask's sum
  // here when they close.
  static final AtomicLong CHECKSUM = new AtomicLong();

  static long cpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
  }

  /** 64-bit FNV-1a of a word's bytes (ASCII here), as spate_peers.cpp. */
  static long fnv(String s) {
    long h = 0xcbf29ce484222325L;
    for (int i = 0; i < s.length(); ++i) h = (h ^ (s.charAt(i) & 0xff)) * 0x100000001b3L;
    return h;
  }

  /** A sink whose writer keeps a local sum of f(record) and adds it to CHECKSUM at close. */
  interface Term<T> extends java.io.Serializable {
    long of(T t);
  }

  static final class SumSink<T> implements Sink<T> {
    private final Term<T> term;

    SumSink(Term<T> term) {
      this.term = term;
    }

    @Override
    public SinkWriter<T> createWriter(WriterInitContext ctx) {
      return new SinkWriter<T>() {
        long sum;

        @Override
        public void write(T t, Context c) {
          sum += term.of(t);
        }

        @Override
        public void flush(boolean endOfInput) {}

        @Override
        public void close() {
          CHECKSUM.addAndGet(sum);
        }
      };
    }
  }

  static StreamExecutionEnvironment env(int p, RuntimeExecutionMode mode) {
    Configuration conf = new Configuration();
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
    env.setParallelism(p);
    env.setRuntimeMode(mode);
    if (System.getenv("PEERS_FLINK_OBJECT_REUSE") != null) env.getConfig().enableObjectReuse();
    return env;
  }

  // ------------------------------------------------------------ stateless --
  // i in [0, N): x = i % 2001 - 1000; map x * 3; filter odd; sum.
  static void stateless(long n, int p) throws Exception {
    StreamExecutionEnvironment env = env(p, RuntimeExecutionMode.STREAMING);
    env.fromSequence(0, n - 1)
        .map(i -> i % 2001 - 1000)
        .map(x -> x * 3)
        .filter(x -> x % 2 != 0)
        .sinkTo(new SumSink<Long>(x -> x));
    env.execute("stateless");
  }

  // ----------------------------------------------------------- word count --
  static final class Split implements FlatMapFunction<String, Tuple2<String, Long>> {
    @Override
    public void flatMap(String line, Collector<Tuple2<String, Long>> out) {
      for (String w : line.split(" ")) out.collect(Tuple2.of(w, 1L));
    }
  }

  // A (word, count) contributes fnv(word) * (2 * count + 1): the final counts
  // sum it once per word, every update once per (word, count so far).
  static long wcTerm(Tuple2<String, Long> t) {
    return fnv(t.f0) * (2 * t.f1 + 1);
  }

  static DataStream<Tuple2<String, Long>> words(StreamExecutionEnvironment env, String dir) {
    FileSource<String> src = FileSource.forRecordStreamFormat(new TextLineInputFormat(), new Path(dir)).build();
    return env.fromSource(src, WatermarkStrategy.noWatermarks(), "text").flatMap(new Split());
  }

  static void wordcount(String kind, String dir, int p) throws Exception {
    if (kind.equals("wc_batch")) {
      // BATCH mode: the keyed sum emits one final count per word.
      StreamExecutionEnvironment env = env(p, RuntimeExecutionMode.BATCH);
      words(env, dir).keyBy(t -> t.f0).sum(1).sinkTo(new SumSink<>(FlinkPeers::wcTerm));
      env.execute("wc_batch");
    } else if (kind.equals("wc_streaming")) {
      // STREAMING mode, final counts: a global window fired at end of input.
      StreamExecutionEnvironment env = env(p, RuntimeExecutionMode.STREAMING);
      words(env, dir).keyBy(t -> t.f0).window(GlobalWindows.createWithEndOfStreamTrigger()).sum(1)
          .sinkTo(new SumSink<>(FlinkPeers::wcTerm));
      env.execute("wc_streaming");
    } else {
      // STREAMING mode, every update to the sink.
      StreamExecutionEnvironment env = env(p, RuntimeExecutionMode.STREAMING);
      words(env, dir).keyBy(t -> t.f0).sum(1).sinkTo(new SumSink<>(FlinkPeers::wcTerm));
      env.execute("wc_updates");
    }
  }

  // ------------------------------------------------------------- tumbling --
  // event i: user = i * 2654435761 mod 2^32 mod 100000, ts = i / 1000 ms;
  // watermarks bounded out of orderness 100 ms; key by user; 1 s tumbling
  // event-time window; count. A (user, start, count) contributes
  // (user * 1000003 + start) * (2 * count + 1).
  static final class Count implements AggregateFunction<Tuple2<Integer, Long>, Long, Long> {
    public Long createAccumulator() { return 0L; }
    public Long add(Tuple2<Integer, Long> e, Long a) { return a + 1; }
    public Long getResult(Long a) { return a; }
    public Long merge(Long a, Long b) { return a + b; }
  }

  static final class Emit extends ProcessWindowFunction<Long, Tuple3<Integer, Long, Long>, Integer, TimeWindow> {
    @Override
    public void process(Integer user, Context c, Iterable<Long> counts, Collector<Tuple3<Integer, Long, Long>> out) {
      out.collect(Tuple3.of(user, c.window().getStart(), counts.iterator().next()));
    }
  }

  static void tumbling(long n, int p) throws Exception {
    StreamExecutionEnvironment env = env(p, RuntimeExecutionMode.STREAMING);
    env.fromSequence(0, n - 1)
        .map(i -> Tuple2.of((int) (((i * 2654435761L) & 0xffffffffL) % 100000), i / 1000))
        .returns(Types.TUPLE(Types.INT, Types.LONG))
        .assignTimestampsAndWatermarks(WatermarkStrategy.<Tuple2<Integer, Long>>forBoundedOutOfOrderness(Duration.ofMillis(100))
                                           .withTimestampAssigner((e, t) -> e.f1))
        .keyBy(e -> e.f0)
        .window(TumblingEventTimeWindows.of(Duration.ofSeconds(1)))
        .aggregate(new Count(), new Emit())
        .sinkTo(new SumSink<Tuple3<Integer, Long, Long>>(r -> ((long) r.f0 * 1000003L + r.f1) * (2 * r.f2 + 1)));
    env.execute("tumbling");
  }

  public static void main(String[] a) throws Exception {
    String w = a[0];
    long records;
    int p, runs;
    String dir = null;
    if (w.startsWith("wc_")) {
      dir = a[1];
      records = Long.parseLong(a[2]);
      p = Integer.parseInt(a[3]);
      runs = Integer.parseInt(a[4]);
    } else {
      records = Long.parseLong(a[1]);
      p = Integer.parseInt(a[2]);
      runs = Integer.parseInt(a[3]);
    }
    for (int run = 1; run <= runs; ++run) {
      CHECKSUM.set(0);
      long c0 = cpuNanos(), t0 = System.nanoTime();
      switch (w) {
        case "stateless": stateless(records, p); break;
        case "tumbling": tumbling(records, p); break;
        case "wc_batch": case "wc_streaming": case "wc_updates": wordcount(w, dir, p); break;
        default: throw new IllegalArgumentException("unknown workload " + w);
      }
      long c1 = cpuNanos(), t1 = System.nanoTime();
      System.out.printf("RESULT run=%d records=%d wall_s=%.6f cpu_s=%.6f checksum=%d%n", run, records, (t1 - t0) / 1e9,
                        (c1 - c0) / 1e9, CHECKSUM.get());
      System.out.flush();
    }
    System.exit(0);
  }
}
