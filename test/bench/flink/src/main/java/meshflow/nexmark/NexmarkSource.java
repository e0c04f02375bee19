package meshflow.nexmark;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.functions.source.RichParallelSourceFunction;

/**
 * A bounded source of {@code events} Nexmark events: subtask s of P emits indices s, s + P,
 * s + 2P, ... (by stride, as meshflow's datagen splits do), each stamped with its dateTime.
 */
public class NexmarkSource extends RichParallelSourceFunction<Event> {
  private static final long serialVersionUID = 1L;
  private final GeneratorConfig config;
  private final long events;
  private volatile boolean running = true;
  private transient NexmarkGenerator generator;

  public NexmarkSource(GeneratorConfig config, long events) {
    this.config = config;
    this.events = events;
  }

  @Override
  public void open(Configuration parameters) {
    generator = new NexmarkGenerator(config);
  }

  @Override
  public void run(SourceContext<Event> ctx) {
    int p = getRuntimeContext().getNumberOfParallelSubtasks();
    int s = getRuntimeContext().getIndexOfThisSubtask();
    for (long i = s; i < events && running; i += p) {
      Event e = generator.event(i);
      ctx.collectWithTimestamp(e, generator.timestampOf(i));
    }
  }

  @Override
  public void cancel() {
    running = false;
  }
}
