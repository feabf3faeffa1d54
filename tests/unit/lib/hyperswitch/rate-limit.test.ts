import { RateLimiter } from '../../../../lib/hyperswitch';

describe('RateLimiter', () => {
  it('lets a second’s worth through at once, then paces the rest, in order', async () => {
    let now = 0;
    const limiter = new RateLimiter(10, () => now, async (ms) => {
      now += ms;
    });
    // Each caller learns how long it waited.
    const waits = await Promise.all(Array.from({ length: 25 }, () => limiter.acquire()));
    expect(waits.slice(0, 10)).toEqual(Array(10).fill(0));
    // 15 more at 10/s take 1.5 s of (simulated) waiting, served in order.
    expect(waits.slice(10).map(Math.round)).toEqual(Array.from({ length: 15 }, (_, i) => (i + 1) * 100));
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
