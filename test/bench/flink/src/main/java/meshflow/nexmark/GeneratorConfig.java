package meshflow.nexmark;

import java.io.Serializable;

/** The generator's configuration with connectors/nexmark/config.ts's defaults. */
public class GeneratorConfig implements Serializable {
  private static final long serialVersionUID = 1L;
  public long baseTime = 0;
  public double eventsPerSecond = 10_000;
  public long firstEventId = 0;
  public int seed = 0;
  public long personProportion = 1;
  public long auctionProportion = 3;
  public long bidProportion = 46;
  public long hotAuctionRatio = 2;
  public long hotSellersRatio = 4;
  public long hotBiddersRatio = 4;
  public long numActivePeople = 1000;
  public long numInFlightAuctions = 100;
  public long avgPersonByteSize = 200;
  public long avgAuctionByteSize = 500;
  public long avgBidByteSize = 100;
}
