package meshflow.nexmark;

/**
 * Prints events {@code from .. from + count - 1} of the generator as JSON lines, keys in
 * the TypeScript generator's order, so the bench can compare the port event by event:
 *   java -cp ... meshflow.nexmark.Dump FROM COUNT [SEED]
 */
public final class Dump {
  public static void main(String[] args) {
    long from = Long.parseLong(args[0]);
    long count = Long.parseLong(args[1]);
    GeneratorConfig c = new GeneratorConfig();
    if (args.length > 2) c.seed = Integer.parseInt(args[2]);
    NexmarkGenerator g = new NexmarkGenerator(c);
    StringBuilder out = new StringBuilder();
    for (long i = from; i < from + count; i++) out.append(g.event(i).toJson()).append('\n');
    System.out.print(out);
    System.out.flush();
  }
}
