// The registry: every `authstream` command, in the order `authstream --help` lists them. Adding a command is one
// file in this folder (default-exporting defineCommand(...), see ../command.ts) and one line here.
import type { CliCommand } from '../command.js';
import start from './start.js';
import configCheck from './config-check.js';
import audit from './audit.js';
import rebuild from './rebuild.js';
import eventsTail from './events-tail.js';
import log from './log.js';
import importDjango from './import-django.js';
import createsuperuser from './createsuperuser.js';
import erase from './erase.js';

export const commands: readonly CliCommand[] = [start, configCheck, audit, rebuild, eventsTail, log, importDjango, createsuperuser, erase];
