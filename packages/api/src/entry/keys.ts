#!/usr/bin/env node
/**
 * Operator entry: `npm run keys -- create|list|revoke` (`node packages/api/src/entry/keys.ts ...`)
 * manages the API's keys in its bucket; ../auth/keys-command.ts holds the commands.
 */
import { keysProgram } from "../auth/keys-command.ts";

await keysProgram().parseAsync(process.argv);
