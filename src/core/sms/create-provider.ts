import type { App } from '../app.js';
import { createConsoleSmsProvider } from './console-provider.js';
import { createRonglianSmsProvider } from './ronglian-provider.js';
import type { SmsProvider } from './types.js';

/**
 * The provider SMS_PROVIDER names. The config loader already insists on every RONGLIAN_*
 * variable when the provider is ronglian, so the checks here only guard hand-built configs.
 */
export function createSmsProvider(app: Pick<App, 'config' | 'clock' | 'log'>): SmsProvider {
  const sms = app.config.sms;
  if (sms.provider === 'console') return createConsoleSmsProvider(app.log);
  const { ronglianAccountSid, ronglianAuthToken, ronglianAppId, ronglianTemplateId } = sms;
  if (!ronglianAccountSid || !ronglianAuthToken || !ronglianAppId || !ronglianTemplateId) {
    throw new Error('SMS_PROVIDER=ronglian needs RONGLIAN_ACCOUNT_SID, RONGLIAN_AUTH_TOKEN, RONGLIAN_APP_ID and RONGLIAN_TEMPLATE_ID');
  }
  return createRonglianSmsProvider({
    baseUrl: sms.ronglianBaseUrl,
    accountSid: ronglianAccountSid,
    authToken: ronglianAuthToken,
    appId: ronglianAppId,
    templateId: ronglianTemplateId,
    timeoutMs: sms.ronglianTimeoutMs,
    clock: app.clock,
    log: app.log,
  });
}
