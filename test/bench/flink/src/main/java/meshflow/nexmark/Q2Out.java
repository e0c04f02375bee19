package meshflow.nexmark;

/** q2's output: auction and price of a selected bid. */
public class Q2Out {
  public long auction;
  public long price;

  public Q2Out() {}
}
