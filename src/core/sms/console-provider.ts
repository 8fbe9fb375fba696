import type { Logger } from 'pino';
import type { SmsMessage, SmsProvider } from './types.js';

/**
 * The development provider (SMS_PROVIDER=console, the default): it writes the phone and
 * the code to the log, so a developer can sign up without a real SMS account. This is
 * the only place in the server where a code may appear in a log line.
 */
export function createConsoleSmsProvider(log: Pick<Logger, 'info'>): SmsProvider {
  return {
    name: 'console',
    async send(message: SmsMessage): Promise<void> {
      log.info(`sms to ${message.phone} code ${message.code}`);
    },
  };
}
