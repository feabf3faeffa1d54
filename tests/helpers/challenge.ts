/**
 * The shopper's answer on the simulator's 3-D Secure page, as its Approve / Fail buttons send it.
 * The issuer's redirect to the return URL is not followed: callers read where it points.
 */
export function answerChallenge(url: string, outcome: 'approve' | 'fail'): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: `outcome=${outcome}`, redirect: 'manual' });
}
