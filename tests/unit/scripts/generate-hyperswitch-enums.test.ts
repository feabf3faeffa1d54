import { readFileSync } from 'node:fs';
import { contractPath, outputPath, renderEnums } from '../../../scripts/generate-hyperswitch-enums';

describe('lib/hyperswitch/enums.generated.ts', () => {
  it('is what the contract generates (run `npm run generate:enums` after updating the contract)', () => {
    const spec = JSON.parse(readFileSync(contractPath, 'utf8'));
    expect(readFileSync(outputPath, 'utf8')).toBe(renderEnums(spec));
  });

  it('fails loudly when the contract lacks an enum', () => {
    expect(() => renderEnums({ components: { schemas: {} } })).toThrow('The contract has no enum schema CountryAlpha2');
  });
});
