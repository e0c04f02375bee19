package meshflow.nexmark;

import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * Runs one Nexmark query on a local MiniCluster with object reuse and prints one JSON line:
 *   java -cp ... meshflow.nexmark.Main --query q0 --events N --parallelism P [--seed S]
 * ms is the wall time of execute() (MiniCluster start, deployment, the run); the bench
 * subtracts a tiny run's ms to get the processing time.
 */
public final class Main {
  public static void main(String[] args) throws Exception {
    String query = "q0";
    long events = 1_000_000;
    int parallelism = 1;
    GeneratorConfig config = new GeneratorConfig();
    for (int i = 0; i + 1 < args.length; i += 2) {
      switch (args[i]) {
        case "--query": query = args[i + 1]; break;
        case "--events": events = Long.parseLong(args[i + 1]); break;
        case "--parallelism": parallelism = Integer.parseInt(args[i + 1]); break;
        case "--seed": config.seed = Integer.parseInt(args[i + 1]); break;
        default: throw new IllegalArgumentException("Unknown option " + args[i]);
      }
    }
    StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(parallelism);
    env.getConfig().enableObjectReuse();
    DataStream<Event> source = env.addSource(new NexmarkSource(config, events), "nexmark");
    switch (query) {
      case "q0": Queries.q0(source); break;
      case "q1": Queries.q1(source); break;
      case "q2": Queries.q2(source); break;
      case "q3": Q3.build(source); break;
      case "q4": Q4.build(timed(source)); break;
      case "q5": Q5.build(timed(source)); break;
      case "q7": Q7.build(timed(source)); break;
      case "q8": Q8.build(timed(source)); break;
      case "q11": Q11.build(timed(source)); break;
      default: throw new IllegalArgumentException("Unknown query " + query);
    }
    long started = System.nanoTime();
    JobExecutionResult result = env.execute("nexmark-" + query);
    double ms = (System.nanoTime() - started) / 1e6;
    long results = result.<Long>getAccumulatorResult("results");
    long checksum = Math.floorMod(result.<Long>getAccumulatorResult("checksum"), ChecksumSink.MODULUS);
    System.out.println("{\"system\":\"flink\",\"query\":\"" + query + "\",\"parallelism\":" + parallelism
      + ",\"events\":" + events + ",\"results\":" + results + ",\"checksum\":" + checksum
      + ",\"ms\":" + Math.round(ms) + ",\"netRuntimeMs\":" + result.getNetRuntime()
      + ",\"rssMb\":" + rssMb() + "}");
    System.exit(0);
  }

  /**
   * Watermarks for the event-time queries: monotonous per source subtask (the timestamp
   * minus 1, as meshflow's forMonotonousTimestamps), emitted every 200 ms (Flink's default).
   */
  private static DataStream<Event> timed(DataStream<Event> source) {
    return source.assignTimestampsAndWatermarks(
      WatermarkStrategy.<Event>forMonotonousTimestamps().withTimestampAssigner((e, t) -> t)).name("watermarks");
  }

  /** Peak resident set of this JVM (VmHWM), in MB; -1 where /proc is absent. */
  private static long rssMb() {
    try {
      for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/status"))) {
        if (line.startsWith("VmHWM:")) return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024;
      }
    } catch (Exception e) {
      return -1;
    }
    return -1;
  }
}
