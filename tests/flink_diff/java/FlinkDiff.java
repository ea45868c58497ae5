// The Flink side of spate's differential test (scripts/flink-diff).
//
//   java -cp CLASSES:DEPS FlinkDiff CASES_DIR OUT_DIR
//
// Reads every CASES_DIR/*.case (written by `flink_diff_spate gen`), runs them
// all in ONE job on an in-process MiniCluster (parallelism 1; each case is a
// pipeline of its own, with its own source, watermarks and windows), and
// writes OUT_DIR/NAME.main (window results, timer output) and OUT_DIR/NAME.late
// (late side output), in the format flink_diff_spate writes for spate.
//
// A case file: a header line "# kind=K name=N key=value ..." then one event
// per line, "key,timestamp_ms,value". Watermarks are generated per event
// (a WatermarkGenerator that emits in onEvent: max timestamp - bound - 1,
// Flink's BoundedOutOfOrderness formula) with the periodic emitter off
// (auto-watermark interval 0), so what either side sees is fully determined
// by the input.
//
// Two-input cases (kind=join_*) have a 4th column, A or B, the input: two
// sources, each with its own watermarks, into Flink's intervalJoin, join or
// coGroup (the operator's watermark is the minimum of the two).
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.flink.api.common.RuntimeExecutionMode;
import org.apache.flink.api.common.eventtime.Watermark;
import org.apache.flink.api.common.eventtime.WatermarkGenerator;
import org.apache.flink.api.common.eventtime.WatermarkOutput;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.functions.AggregateFunction;
import org.apache.flink.api.common.functions.CoGroupFunction;
import org.apache.flink.api.common.functions.JoinFunction;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.WriterInitContext;
import org.apache.flink.api.java.functions.KeySelector;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.KeyedStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.datastream.AllWindowedStream;
import org.apache.flink.streaming.api.datastream.WindowedStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.streaming.api.functions.co.ProcessJoinFunction;
import org.apache.flink.streaming.api.operators.BoundedMultiInput;
import org.apache.flink.streaming.api.operators.InputSelectable;
import org.apache.flink.streaming.api.operators.InputSelection;
import org.apache.flink.streaming.api.operators.co.IntervalJoinOperator;
import org.apache.flink.streaming.api.functions.windowing.ProcessAllWindowFunction;
import org.apache.flink.streaming.api.functions.windowing.ProcessWindowFunction;
import org.apache.flink.streaming.api.windowing.assigners.EventTimeSessionWindows;
import org.apache.flink.streaming.api.windowing.assigners.GlobalWindows;
import org.apache.flink.streaming.api.windowing.assigners.SlidingEventTimeWindows;
import org.apache.flink.streaming.api.windowing.assigners.TumblingEventTimeWindows;
import org.apache.flink.streaming.api.windowing.assigners.WindowAssigner;
import org.apache.flink.streaming.api.windowing.evictors.CountEvictor;
import org.apache.flink.streaming.api.windowing.evictors.TimeEvictor;
import org.apache.flink.streaming.api.windowing.triggers.ContinuousEventTimeTrigger;
import org.apache.flink.streaming.api.windowing.triggers.CountTrigger;
import org.apache.flink.streaming.api.windowing.triggers.PurgingTrigger;
import org.apache.flink.streaming.api.windowing.triggers.Trigger;
import org.apache.flink.streaming.api.windowing.triggers.TriggerResult;
import org.apache.flink.streaming.api.windowing.windows.GlobalWindow;
import org.apache.flink.streaming.api.windowing.windows.TimeWindow;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

public final class FlinkDiff {

  // ------------------------------------------------------------- records --
  /** One input event. A Flink POJO: public fields, a no-argument constructor. */
  public static final class Ev {
    public String key;
    public long ts;
    public long v;

    public Ev() {}

    Ev(String key, long ts, long v) {
      this.key = key;
      this.ts = ts;
      this.v = v;
    }
  }

  /** count, sum, min and max of the values in a window: commutative, so the
   * order in which either side adds or merges records cannot show. */
  public static final class Acc {
    public long count;
    public long sum;
    public long min = Long.MAX_VALUE;
    public long max = Long.MIN_VALUE;

    public Acc() {}

    String line() {
      return count + "," + sum + "," + min + "," + max;
    }
  }

  public static final class Agg implements AggregateFunction<Ev, Acc, Acc> {
    @Override
    public Acc createAccumulator() {
      return new Acc();
    }

    @Override
    public Acc add(Ev e, Acc a) {
      a.count += 1;
      a.sum += e.v;
      a.min = Math.min(a.min, e.v);
      a.max = Math.max(a.max, e.v);
      return a;
    }

    @Override
    public Acc getResult(Acc a) {
      return a;
    }

    @Override
    public Acc merge(Acc a, Acc b) {
      Acc r = new Acc();
      r.count = a.count + b.count;
      r.sum = a.sum + b.sum;
      r.min = Math.min(a.min, b.min);
      r.max = Math.max(a.max, b.max);
      return r;
    }
  }

  /** "key,start,end,count,sum,min,max" for time windows. */
  public static final class TimeLine extends ProcessWindowFunction<Acc, String, String, TimeWindow> {
    @Override
    public void process(String key, Context ctx, Iterable<Acc> in, Collector<String> out) {
      for (Acc a : in)
        out.collect(key + "," + ctx.window().getStart() + "," + ctx.window().getEnd() + "," + a.line());
    }
  }

  /** The same line from all of a window's records (process(f) on spate's
   * side: a window function that sees every record, not an accumulator). */
  public static final class TimeLineOfRecords extends ProcessWindowFunction<Ev, String, String, TimeWindow> {
    @Override
    public void process(String key, Context ctx, Iterable<Ev> in, Collector<String> out) {
      Agg agg = new Agg();
      Acc a = agg.createAccumulator();
      for (Ev e : in) a = agg.add(e, a);
      out.collect(key + "," + ctx.window().getStart() + "," + ctx.window().getEnd() + "," + a.line());
    }
  }

  /** "*,start,end,count,sum,min,max" for windowAll (no key: "*"). */
  public static final class AllLine extends ProcessAllWindowFunction<Acc, String, TimeWindow> {
    @Override
    public void process(Context ctx, Iterable<Acc> in, Collector<String> out) {
      for (Acc a : in) out.collect("*," + ctx.window().getStart() + "," + ctx.window().getEnd() + "," + a.line());
    }
  }

  /** "key,count,sum,min,max" for count and global windows (no time bounds). */
  public static final class GlobalLine extends ProcessWindowFunction<Acc, String, String, GlobalWindow> {
    @Override
    public void process(String key, Context ctx, Iterable<Acc> in, Collector<String> out) {
      for (Acc a : in) out.collect(key + "," + a.line());
    }
  }

  public static final class ByKey implements KeySelector<Ev, String> {
    @Override
    public String getKey(Ev e) {
      return e.key;
    }
  }

  public static final class LateLine implements MapFunction<Ev, String> {
    @Override
    public String map(Ev e) {
      return e.key + "," + e.ts + "," + e.v;
    }
  }

  // ---------------------------------------------------------- watermarks --
  /** max timestamp - bound - 1, emitted in onEvent (Flink only forwards it
   * when it advances); nothing periodic. */
  public static final class PerEventWatermarks implements WatermarkGenerator<Ev> {
    private final long bound;
    private long max;
    private boolean seen;

    PerEventWatermarks(long bound) {
      this.bound = bound;
    }

    @Override
    public void onEvent(Ev e, long ts, WatermarkOutput out) {
      if (!seen || ts > max) {
        max = ts;
        seen = true;
      }
      out.emitWatermark(new Watermark(max - bound - 1));
    }

    @Override
    public void onPeriodicEmit(WatermarkOutput out) {}
  }

  // ------------------------------------------------------------ triggers --
  /** Fires when value % m == 0 (spate's when(pred)); the global window
   * otherwise never fires. */
  public static final class WhenTrigger extends Trigger<Ev, GlobalWindow> {
    private final long m;

    WhenTrigger(long m) {
      this.m = m;
    }

    @Override
    public TriggerResult onElement(Ev e, long ts, GlobalWindow w, TriggerContext ctx) {
      return e.v % m == 0 ? TriggerResult.FIRE : TriggerResult.CONTINUE;
    }

    @Override
    public TriggerResult onProcessingTime(long t, GlobalWindow w, TriggerContext ctx) {
      return TriggerResult.CONTINUE;
    }

    @Override
    public TriggerResult onEventTime(long t, GlobalWindow w, TriggerContext ctx) {
      return TriggerResult.CONTINUE;
    }

    @Override
    public void clear(GlobalWindow w, TriggerContext ctx) {}
  }

  /** An event-time timer at the end (- 1 ms) of each epoch-aligned interval
   * in which the key had a record; each timer fires the window. spate's
   * every(interval) documents that meaning. */
  public static final class IntervalTrigger extends Trigger<Ev, GlobalWindow> {
    private final long interval;

    IntervalTrigger(long interval) {
      this.interval = interval;
    }

    @Override
    public TriggerResult onElement(Ev e, long ts, GlobalWindow w, TriggerContext ctx) {
      ctx.registerEventTimeTimer(ts - Math.floorMod(ts, interval) + interval - 1);
      return TriggerResult.CONTINUE;
    }

    @Override
    public TriggerResult onProcessingTime(long t, GlobalWindow w, TriggerContext ctx) {
      return TriggerResult.CONTINUE;
    }

    @Override
    public TriggerResult onEventTime(long t, GlobalWindow w, TriggerContext ctx) {
      return TriggerResult.FIRE;
    }

    @Override
    public void clear(GlobalWindow w, TriggerContext ctx) {}
  }

  // ------------------------------------------------------ process timers --
  /** The keyed process function both sides run (flink_diff_spate.cpp has its
   * twin): a running sum and count per key; a timer at ts + delay for every
   * record, one at ts - delay (often already passed) for values divisible by
   * 4; a value divisible by 7 deletes the timer of the key's previous record;
   * a value divisible by 5 emits a line at once. A timer emits
   * "key,T,time,watermark,sum,count", registers time + 1 when time is even and
   * sum divisible by 3 (once: time + 1 is odd), and clears the key's state
   * once count reaches 6. */
  public static final class Timers extends KeyedProcessFunction<String, Ev, String> {
    private final long delay;
    private transient ValueState<Long> sum;
    private transient ValueState<Long> count;
    private transient ValueState<Long> last;

    Timers(long delay) {
      this.delay = delay;
    }

    @Override
    public void open(OpenContext ctx) {
      sum = getRuntimeContext().getState(new ValueStateDescriptor<>("sum", Types.LONG));
      count = getRuntimeContext().getState(new ValueStateDescriptor<>("count", Types.LONG));
      last = getRuntimeContext().getState(new ValueStateDescriptor<>("last", Types.LONG));
    }

    private static long or0(Long x) {
      return x == null ? 0 : x;
    }

    @Override
    public void processElement(Ev e, Context ctx, Collector<String> out) throws Exception {
      long s = or0(sum.value()) + e.v;
      long c = or0(count.value()) + 1;
      sum.update(s);
      count.update(c);
      ctx.timerService().registerEventTimeTimer(e.ts + delay);
      if (e.v % 4 == 0) ctx.timerService().registerEventTimeTimer(e.ts - delay);
      Long prev = last.value();
      if (e.v % 7 == 0 && prev != null) ctx.timerService().deleteEventTimeTimer(prev + delay);
      last.update(e.ts);
      if (e.v % 5 == 0)
        out.collect(ctx.getCurrentKey() + ",E," + e.ts + "," + ctx.timerService().currentWatermark() + "," + s + ","
            + c);
    }

    @Override
    public void onTimer(long t, OnTimerContext ctx, Collector<String> out) throws Exception {
      long s = or0(sum.value());
      long c = or0(count.value());
      out.collect(ctx.getCurrentKey() + ",T," + t + "," + ctx.timerService().currentWatermark() + "," + s + "," + c);
      if (Math.floorMod(t, 2) == 0 && s % 3 == 0) ctx.timerService().registerEventTimeTimer(t + 1);
      if (c >= 6) {
        sum.clear();
        count.clear();
        last.clear();
      }
    }
  }

  // ---------------------------------------------------------------- sink --
  /** Collects each output stream in memory (the MiniCluster runs in this
   * JVM); main() writes the files once the job is done. */
  static final Map<String, List<String>> OUT = new ConcurrentHashMap<>();

  public static final class Collect implements Sink<String> {
    private final String name;

    Collect(String name) {
      this.name = name;
    }

    @Override
    public SinkWriter<String> createWriter(WriterInitContext ctx) {
      final List<String> lines = OUT.computeIfAbsent(name, n -> Collections.synchronizedList(new ArrayList<>()));
      return new SinkWriter<String>() {
        @Override
        public void write(String s, Context c) {
          lines.add(s);
        }

        @Override
        public void flush(boolean endOfInput) {}

        @Override
        public void close() {}
      };
    }
  }

  // --------------------------------------------------------------- cases --
  static final class Case {
    String name;
    Map<String, String> p = new HashMap<>();
    List<Ev> events = new ArrayList<>();
    // Two-input cases (kind=join_*): a 4th column, A or B, says the input.
    List<Ev> left = new ArrayList<>();
    List<Ev> right = new ArrayList<>();

    long num(String k) {
      String v = p.get(k);
      if (v == null) throw new IllegalArgumentException(name + ": no parameter " + k);
      return Long.parseLong(v);
    }
  }

  /** The event-time assigner named `window` (tumbling, sliding or session) with the case's parameters. */
  static WindowAssigner<Object, TimeWindow> assigner(Case c, String window) {
    if (window.equals("tumbling"))
      return TumblingEventTimeWindows.of(Duration.ofMillis(c.num("size")), Duration.ofMillis(c.num("offset")));
    if (window.equals("sliding"))
      return SlidingEventTimeWindows.of(Duration.ofMillis(c.num("size")), Duration.ofMillis(c.num("slide")),
          Duration.ofMillis(c.num("offset")));
    return EventTimeSessionWindows.withGap(Duration.ofMillis(c.num("gap")));
  }

  static Case read(Path file) throws IOException {
    Case c = new Case();
    try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      String line;
      while ((line = r.readLine()) != null) {
        if (line.isEmpty()) continue;
        if (line.startsWith("#")) {
          for (String kv : line.substring(1).trim().split("\\s+")) {
            int eq = kv.indexOf('=');
            if (eq > 0) c.p.put(kv.substring(0, eq), kv.substring(eq + 1));
          }
          continue;
        }
        String[] f = line.split(",");
        Ev e = new Ev(f[0], Long.parseLong(f[1]), Long.parseLong(f[2]));
        c.events.add(e);
        if (f.length > 3) (f[3].equals("A") ? c.left : c.right).add(e);
      }
    }
    c.name = c.p.get("name");
    return c;
  }

  static void build(StreamExecutionEnvironment env, Case c) {
    if (c.p.get("kind").startsWith("join_")) {
      buildJoin(env, c);
      return;
    }
    final long bound = c.num("bound");
    WatermarkStrategy<Ev> wm =
        WatermarkStrategy.<Ev>forGenerator(ctx -> new PerEventWatermarks(bound))
            .withTimestampAssigner((e, prev) -> e.ts);
    DataStream<Ev> src =
        env.fromData(c.events, TypeInformation.of(Ev.class)).name(c.name).assignTimestampsAndWatermarks(wm);
    KeyedStream<Ev, String> keyed = src.keyBy(new ByKey(), Types.STRING);
    String kind = c.p.get("kind");
    OutputTag<Ev> lateTag = new OutputTag<>("late-" + c.name, TypeInformation.of(Ev.class));
    Duration lateness = Duration.ofMillis(c.num("lateness"));
    SingleOutputStreamOperator<String> main;
    switch (kind) {
      case "tumbling":
      case "sliding":
      case "session": {
        WindowAssigner<Object, TimeWindow> a = assigner(c, kind);
        if (c.num("all") != 0) {
          // windowAll: the whole stream, no key (spate's window_all)
          AllWindowedStream<Ev, TimeWindow> w = src.windowAll(a);
          main = w.allowedLateness(lateness).sideOutputLateData(lateTag).aggregate(new Agg(), new AllLine());
        } else {
          WindowedStream<Ev, String, TimeWindow> w =
              keyed.window(a).allowedLateness(lateness).sideOutputLateData(lateTag);
          main = c.p.get("fn").equals("process") ? w.process(new TimeLineOfRecords())
                                                 : w.aggregate(new Agg(), new TimeLine());
        }
        break;
      }
      case "triggered": {
        // A time window with Flink's trigger and/or evictor (spate's
        // window(a).trigger(t) / .evictor(e)); "none": the default trigger.
        WindowAssigner<Object, TimeWindow> a = assigner(c, c.p.get("window"));
        WindowedStream<Ev, String, TimeWindow> w = keyed.window(a);
        boolean purge = c.num("purge") != 0;
        switch (c.p.get("trigger")) {
          case "continuous": {
            Trigger<Object, TimeWindow> t = ContinuousEventTimeTrigger.of(Duration.ofMillis(c.num("interval")));
            w = purge ? w.trigger(PurgingTrigger.of(t)) : w.trigger(t);
            break;
          }
          case "count": {
            Trigger<Object, TimeWindow> t = CountTrigger.of(c.num("n"));
            w = purge ? w.trigger(PurgingTrigger.of(t)) : w.trigger(t);
            break;
          }
          case "none":
            break;
          default:
            throw new IllegalArgumentException(c.name + ": unknown trigger " + c.p.get("trigger"));
        }
        boolean after = c.p.containsKey("after") && c.num("after") != 0;
        switch (c.p.get("evictor")) {
          case "count":
            w = w.evictor(CountEvictor.of(c.num("keep"), after));
            break;
          case "time":
            w = w.evictor(TimeEvictor.of(Duration.ofMillis(c.num("evict_size")), after));
            break;
          case "none":
            break;
          default:
            throw new IllegalArgumentException(c.name + ": unknown evictor " + c.p.get("evictor"));
        }
        w = w.allowedLateness(lateness).sideOutputLateData(lateTag);
        main = c.p.get("fn").equals("process") ? w.process(new TimeLineOfRecords())
                                               : w.aggregate(new Agg(), new TimeLine());
        break;
      }
      case "count":
      case "global_count":
      case "global_purging":
      case "global_when":
      case "global_every": {
        WindowedStream<Ev, String, GlobalWindow> w;
        long n = c.p.containsKey("n") ? c.num("n") : 0;
        if (kind.equals("count"))
          w = c.num("step") == n ? keyed.countWindow(n) : keyed.countWindow(n, c.num("step"));
        else if (kind.equals("global_count"))
          w = keyed.window(GlobalWindows.create()).trigger(CountTrigger.of(n));
        else if (kind.equals("global_purging"))
          w = keyed.window(GlobalWindows.create()).trigger(PurgingTrigger.of(CountTrigger.of(n)));
        else if (kind.equals("global_when"))
          w = c.num("purge") != 0
              ? keyed.window(GlobalWindows.create()).trigger(PurgingTrigger.of(new WhenTrigger(c.num("m"))))
              : keyed.window(GlobalWindows.create()).trigger(new WhenTrigger(c.num("m")));
        else
          w = keyed.window(GlobalWindows.create()).trigger(new IntervalTrigger(c.num("interval")));
        // Global windows are never late (their end is the end of time), so
        // allowed lateness and the late output must stay without effect.
        main = w.allowedLateness(lateness).sideOutputLateData(lateTag).aggregate(new Agg(), new GlobalLine());
        break;
      }
      case "process":
        main = keyed.process(new Timers(c.num("delay")), Types.STRING);
        break;
      default:
        throw new IllegalArgumentException(c.name + ": unknown kind " + kind);
    }
    main.sinkTo(new Collect(c.name + ".main")).name(c.name + ".main");
    if (!kind.equals("process"))
      main.getSideOutput(lateTag)
          .map(new LateLine())
          .returns(Types.STRING)
          .sinkTo(new Collect(c.name + ".late"))
          .name(c.name + ".late");
  }

  // --------------------------------------------------------------- joins --
  /** "key,a.ts,a.v,b.ts,b.v": one line per joined pair. */
  static String pairLine(Ev a, Ev b) {
    return a.key + "," + a.ts + "," + a.v + "," + b.ts + "," + b.v;
  }

  public static final class PairJoin implements JoinFunction<Ev, Ev, String> {
    @Override
    public String join(Ev a, Ev b) {
      return pairLine(a, b);
    }
  }

  public static final class PairProcessJoin extends ProcessJoinFunction<Ev, Ev, String> {
    @Override
    public void processElement(Ev a, Ev b, Context ctx, Collector<String> out) {
      out.collect(pairLine(a, b));
    }
  }

  /** "key,count_a,sum_a,maxts_a,count_b,sum_b,maxts_b" per key and window
   * (max ts "-" for a side without records): what coGroup's function sees,
   * with no window bounds (CoGroupFunction gets none). */
  static String sideSummary(Iterable<Ev> in) {
    long n = 0, sum = 0, max = Long.MIN_VALUE;
    for (Ev e : in) {
      n += 1;
      sum += e.v;
      max = Math.max(max, e.ts);
    }
    return n + "," + sum + "," + (n == 0 ? "-" : Long.toString(max));
  }

  public static final class GroupSummary implements CoGroupFunction<Ev, Ev, String> {
    @Override
    public void coGroup(Iterable<Ev> as, Iterable<Ev> bs, Collector<String> out) {
      String key = null;
      for (Ev e : as) key = e.key;
      if (key == null) for (Ev e : bs) key = e.key;
      out.collect(key + "," + sideSummary(as) + "," + sideSummary(bs));
    }
  }

  public static final class SideLine implements MapFunction<Ev, String> {
    private final String side;

    SideLine(String side) {
      this.side = side;
    }

    @Override
    public String map(Ev e) {
      return side + "," + e.key + "," + e.ts + "," + e.v;
    }
  }

  /** Flink's interval join operator (what IntervalJoined.process builds),
   * reading all of input 1 before input 2: input 1's end-of-input watermark
   * comes before any record of input 2, so input 2's records are late exactly
   * when they are behind input 2's own watermark (order=a_first cases). */
  public static final class AFirstIntervalJoin extends IntervalJoinOperator<String, Ev, Ev, String>
      implements InputSelectable, BoundedMultiInput {
    private boolean firstEnded;

    AFirstIntervalJoin(long lower, long upper, boolean lowerInclusive, boolean upperInclusive, OutputTag<Ev> lateA,
        OutputTag<Ev> lateB, TypeSerializer<Ev> sa, TypeSerializer<Ev> sb) {
      super(lower, upper, lowerInclusive, upperInclusive, lateA, lateB, sa, sb, new PairProcessJoin());
    }

    @Override
    public InputSelection nextSelection() {
      return firstEnded ? InputSelection.ALL : InputSelection.FIRST;
    }

    @Override
    public void endInput(int input) {
      if (input == 1) firstEnded = true;
    }
  }

  /** A two-input case: inputs A and B, each with its own source and its own
   * per-event watermarks (the operator takes the minimum). */
  static void buildJoin(StreamExecutionEnvironment env, Case c) {
    final long bound = c.num("bound");
    WatermarkStrategy<Ev> wm =
        WatermarkStrategy.<Ev>forGenerator(ctx -> new PerEventWatermarks(bound))
            .withTimestampAssigner((e, prev) -> e.ts);
    DataStream<Ev> a = env.fromData(c.left, TypeInformation.of(Ev.class)).name(c.name + ".A")
        .assignTimestampsAndWatermarks(wm);
    DataStream<Ev> b = env.fromData(c.right, TypeInformation.of(Ev.class)).name(c.name + ".B")
        .assignTimestampsAndWatermarks(wm);
    String kind = c.p.get("kind");
    SingleOutputStreamOperator<String> main;
    if (kind.equals("join_interval")) {
      OutputTag<Ev> lateA = new OutputTag<>("late-A-" + c.name, TypeInformation.of(Ev.class));
      OutputTag<Ev> lateB = new OutputTag<>("late-B-" + c.name, TypeInformation.of(Ev.class));
      if (c.p.containsKey("order")) {
        TypeSerializer<Ev> ser = TypeInformation.of(Ev.class).createSerializer(env.getConfig().getSerializerConfig());
        AFirstIntervalJoin op = new AFirstIntervalJoin(c.num("lower"), c.num("upper"), c.num("lower_exclusive") == 0,
            c.num("upper_exclusive") == 0, lateA, lateB, ser, ser);
        main = a.connect(b).keyBy(new ByKey(), new ByKey()).transform("interval join, A first", Types.STRING, op);
      } else {
        KeyedStream.IntervalJoined<Ev, Ev, String> j = a.keyBy(new ByKey(), Types.STRING)
            .intervalJoin(b.keyBy(new ByKey(), Types.STRING))
            .between(Duration.ofMillis(c.num("lower")), Duration.ofMillis(c.num("upper")));
        if (c.num("lower_exclusive") != 0) j = j.lowerBoundExclusive();
        if (c.num("upper_exclusive") != 0) j = j.upperBoundExclusive();
        main = j.sideOutputLeftLateData(lateA).sideOutputRightLateData(lateB)
            .process(new PairProcessJoin(), Types.STRING);
      }
      main.getSideOutput(lateA).map(new SideLine("A")).returns(Types.STRING)
          .sinkTo(new Collect(c.name + ".late")).name(c.name + ".late.A");
      main.getSideOutput(lateB).map(new SideLine("B")).returns(Types.STRING)
          .sinkTo(new Collect(c.name + ".late")).name(c.name + ".late.B");
    } else {
      WindowAssigner<Object, TimeWindow> w = assigner(c, c.p.get("window"));
      if (kind.equals("join_window"))
        main = a.join(b).where(new ByKey(), Types.STRING).equalTo(new ByKey()).window(w)
            .apply(new PairJoin(), Types.STRING);
      else
        main = a.coGroup(b).where(new ByKey(), Types.STRING).equalTo(new ByKey()).window(w)
            .apply(new GroupSummary(), Types.STRING);
    }
    main.sinkTo(new Collect(c.name + ".main")).name(c.name + ".main");
  }

  public static void main(String[] args) throws Exception {
    if (args.length != 2) {
      System.err.println("usage: FlinkDiff CASES_DIR OUT_DIR");
      System.exit(2);
    }
    Path in = Paths.get(args[0]), outDir = Paths.get(args[1]);
    List<Path> files = new ArrayList<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(in, "*.case")) {
      for (Path f : ds) files.add(f);
    }
    Collections.sort(files);
    List<Case> cases = new ArrayList<>();
    long events = 0;
    for (Path f : files) {
      Case c = read(f);
      cases.add(c);
      events += c.events.size();
    }

    Configuration conf = new Configuration();
    conf.setString("execution.runtime-mode", "STREAMING");
    conf.setString("pipeline.auto-watermark-interval", "0 ms");
    // Every case is a pipeline of its own in the one job: give the local
    // task manager room for their network buffers.
    conf.setString("taskmanager.memory.network.min", "256mb");
    conf.setString("taskmanager.memory.network.max", "256mb");
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
    env.setParallelism(1);
    env.setRuntimeMode(RuntimeExecutionMode.STREAMING);
    env.getConfig().setAutoWatermarkInterval(0);
    for (Case c : cases) build(env, c);
    long t0 = System.nanoTime();
    env.execute("spate flink-diff");
    long ms = (System.nanoTime() - t0) / 1_000_000;

    Files.createDirectories(outDir);
    for (Case c : cases) {
      for (String stream : new String[] {"main", "late"}) {
        List<String> lines = OUT.getOrDefault(c.name + "." + stream, List.of());
        try (BufferedWriter w = Files.newBufferedWriter(outDir.resolve(c.name + "." + stream), StandardCharsets.UTF_8)) {
          for (String l : lines) {
            w.write(l);
            w.write('\n');
          }
        }
      }
    }
    System.err.println("flink: " + cases.size() + " cases, " + events + " events, job ran in " + ms + " ms");
  }
}
