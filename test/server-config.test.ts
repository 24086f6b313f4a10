import { describe, expect, it } from 'vitest';
import { configFromEnv } from '../src/server.js';

describe('configFromEnv: which forges a server serves', () => {
  it('nothing set names both ways to start', () => {
    expect(() => configFromEnv({})).toThrow(/GitHub App.*GITLAB_TOKEN/s);
  });

  it('GitHub only: the App variables, no GitLab', () => {
    const cfg = configFromEnv({ APP_ID: '1', PRIVATE_KEY: 'line1\\nline2', WEBHOOK_SECRET: 's' });
    expect(cfg.github).toEqual({ appId: '1', privateKey: 'line1\nline2', webhookSecret: 's', baseUrl: undefined });
    expect(cfg.gitlab).toBeUndefined();
  });

  it('GitLab only: starts without any GitHub App variable; GITLAB_URL defaults to gitlab.com', () => {
    const cfg = configFromEnv({ GITLAB_TOKEN: 'glpat-x', GITLAB_WEBHOOK_SECRET: 'w' });
    expect(cfg.github).toBeUndefined();
    expect(cfg.gitlab).toEqual({ url: 'https://gitlab.com', token: 'glpat-x', webhookSecret: 'w' });
    expect(configFromEnv({ GITLAB_TOKEN: 't', GITLAB_WEBHOOK_SECRET: 'w', GITLAB_URL: 'https://gitlab.example.test/' }).gitlab!.url).toBe('https://gitlab.example.test');
  });

  it('both forges on one server', () => {
    const cfg = configFromEnv({ APP_ID: '1', PRIVATE_KEY: 'k', WEBHOOK_SECRET: 's', GITLAB_TOKEN: 't', GITLAB_WEBHOOK_SECRET: 'w', GHE_HOST: 'ghe.example.test' });
    expect(cfg.github!.baseUrl).toBe('https://ghe.example.test/api/v3');
    expect(cfg.gitlab!.url).toBe('https://gitlab.com');
  });

  it('a forge half configured says what is missing; a bad GITLAB_URL is refused', () => {
    expect(() => configFromEnv({ GITLAB_TOKEN: 't' })).toThrow('missing environment: GITLAB_WEBHOOK_SECRET');
    expect(() => configFromEnv({ APP_ID: '1' })).toThrow('missing environment: WEBHOOK_SECRET, PRIVATE_KEY or PRIVATE_KEY_PATH');
    expect(() => configFromEnv({ GITLAB_TOKEN: 't', GITLAB_WEBHOOK_SECRET: 'w', GITLAB_URL: 'ftp://x' })).toThrow(/GITLAB_URL/);
    // A credential in the URL would be written into public notes' links.
    expect(() => configFromEnv({ GITLAB_TOKEN: 't', GITLAB_WEBHOOK_SECRET: 'w', GITLAB_URL: 'https://user:pass@gitlab.example.test' })).toThrow(expect.objectContaining({ message: expect.not.stringContaining('user:pass') }));
    expect(() => configFromEnv({ GITLAB_TOKEN: 't', GITLAB_WEBHOOK_SECRET: 'w', GITLAB_URL: 'https://user:pass@gitlab.example.test' })).toThrow(/without a user name or password/);
    // The token never appears in the message.
    expect(() => configFromEnv({ GITLAB_TOKEN: 'glpat-secret', GITLAB_WEBHOOK_SECRET: 'w', GITLAB_URL: 'nope' })).toThrow(expect.objectContaining({ message: expect.not.stringContaining('glpat-secret') }));
  });
});
