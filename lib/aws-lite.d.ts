/** `@aws-lite/dynamodb` ships no types of its own; lib/aws.ts types what it uses of it (DocumentTable). */
declare module '@aws-lite/dynamodb' {
  const plugin: { name: string; service: string; property: string; methods: Record<string, unknown> };
  export default plugin;
}
