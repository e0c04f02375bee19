package meshflow.nexmark;

/** q1's output: a bid with its price in euros. */
public class Q1Out {
  public long auction;
  public long bidder;
  public double price;
  public long dateTime;
  public String extra;

  public Q1Out() {}
}
