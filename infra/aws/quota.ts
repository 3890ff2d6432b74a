/**
 * The quota counters: one DynamoDB item per tenant (`pk` = `quota#<tenant>`, attribute `used`) that
 * the API admits against with a conditional UpdateItem, plus per-job give-back markers that expire
 * through the table's TTL attribute (packages/api/src/usage/counter-dynamo.ts). On-demand billing:
 * admissions are small, bursty writes.
 */
export function createQuotaTable() {
  return new sst.aws.Dynamo("QuotaCounters", {
    fields: { pk: "string" },
    primaryIndex: { hashKey: "pk" },
    ttl: "expiresAt",
  });
}
