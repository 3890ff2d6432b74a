/**
 * Streaming mean / standard deviation (Welford), mergeable (Chan et al.) so shards evaluated on
 * different workers combine into the same numbers as one pass.
 */

export interface MetricStats {
  /** Number of finite values seen. */
  readonly count: number;
  /** NaN when count = 0. */
  readonly mean: number;
  /** Sample standard deviation (n - 1); 0 when count < 2. */
  readonly std: number;
  readonly min: number;
  readonly max: number;
  /** Values ignored because they were NaN or infinite. */
  readonly nonFinite: number;
}

export class RunningStats {
  private n = 0;
  private m = 0;
  private m2 = 0;
  private lo = Number.POSITIVE_INFINITY;
  private hi = Number.NEGATIVE_INFINITY;
  private skipped = 0;

  /** Adds one value; NaN and infinities are counted in `nonFinite` and otherwise ignored. */
  add(value: number): void {
    if (!Number.isFinite(value)) {
      this.skipped++;
      return;
    }
    this.n++;
    const delta = value - this.m;
    this.m += delta / this.n;
    this.m2 += delta * (value - this.m);
    if (value < this.lo) this.lo = value;
    if (value > this.hi) this.hi = value;
  }

  /** Folds another accumulator into this one, as if its values had been added here. */
  merge(other: RunningStats): void {
    this.skipped += other.skipped;
    if (other.n === 0) return;
    if (this.n === 0) {
      this.n = other.n;
      this.m = other.m;
      this.m2 = other.m2;
      this.lo = other.lo;
      this.hi = other.hi;
      return;
    }
    const n = this.n + other.n;
    const delta = other.m - this.m;
    this.m += (delta * other.n) / n;
    this.m2 += other.m2 + (delta * delta * this.n * other.n) / n;
    this.n = n;
    this.lo = Math.min(this.lo, other.lo);
    this.hi = Math.max(this.hi, other.hi);
  }

  get count(): number {
    return this.n;
  }

  get mean(): number {
    return this.n === 0 ? Number.NaN : this.m;
  }

  stats(): MetricStats {
    return {
      count: this.n,
      mean: this.mean,
      std: this.n < 2 ? 0 : Math.sqrt(this.m2 / (this.n - 1)),
      min: this.n === 0 ? Number.NaN : this.lo,
      max: this.n === 0 ? Number.NaN : this.hi,
      nonFinite: this.skipped,
    };
  }
}
