import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import event from '../../../events/health.json';
import { handler } from '../../../functions/health';

describe('GET /health', () => {
  it('answers 200 with the security headers', async () => {
    const response = await handler(event as unknown as APIGatewayProxyEventV2, {} as Context);
    expect(response).toMatchObject({ statusCode: 200, headers: { 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' } });
    expect(JSON.parse((response as { body: string }).body)).toEqual({ status: 'ok', service: 's2s-vault' });
  });
});
