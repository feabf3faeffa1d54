import { RateLimiter } from '../../../../lib/hyperswitch';

describe('RateLimiter', () => {
  it('lets a second’s worth through at once, then paces the rest, in order', async () => {
    let now = 0;
    const starts: number[] = [];
    const limiter = new RateLimiter(10, () => now, async (ms) => {
      now += ms;
    });
    await Promise.all(Array.from({ length: 25 }, (_, i) => limiter.acquire().then(() => starts.push(now + i * 0))));
    expect(starts.slice(0, 10).every((t) => t === 0)).toBe(true);
    // 15 more at 10/s take 1.5 s of (simulated) waiting.
    expect(Math.round(starts.at(-1)!)).toBe(1500);
    expect(starts).toEqual([...starts].sort((a, b) => a - b));
  });

  it('refills while idle, up to one second’s worth', async () => {
    let now = 0;
    const limiter = new RateLimiter(5, () => now, async (ms) => {
      now += ms;
    });
    for (let i = 0; i < 5; i++) await limiter.acquire();
    now += 10_000;
    const before = now;
    for (let i = 0; i < 5; i++) await limiter.acquire();
    expect(now).toBe(before);
    await limiter.acquire();
    expect(now - before).toBeCloseTo(200, 5);
  });
});
