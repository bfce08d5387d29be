import { describe, expect, it } from 'vitest';
import { redactUrl } from '../../src/http-client/index.ts';

describe('redactUrl', () => {
  it('strips userinfo and masks sensitive query parameters', () => {
    const url =
      'https://user:pa55@auth.atlassian.com/oauth/token?code=abc&state=s1&client_secret=xyz&Token=t&access_token=a&refresh_token=r&password=p&key=k&sig=g&signature=h&page=2#frag';
    const redacted = redactUrl(url);
    for (const secret of ['pa55', 'user:', '=abc', '=xyz', '=t&', '=a&', '=r&', '=p&', '=k&', '=g&', '=h', 'frag']) {
      expect(redacted).not.toContain(secret);
    }
    expect(redacted).toContain('state=s1');
    expect(redacted).toContain('page=2');
    expect(redacted).toContain('code=REDACTED');
    expect(redacted.startsWith('https://auth.atlassian.com/oauth/token?')).toBe(true);
  });

  it('masks repeated parameters and leaves clean URLs alone', () => {
    expect(redactUrl('https://x.test/?token=1&token=2')).toBe('https://x.test/?token=REDACTED&token=REDACTED');
    expect(redactUrl(new URL('https://api.github.com/repos/a/b'))).toBe('https://api.github.com/repos/a/b');
  });

  it('shows nothing of an unparseable value', () => {
    expect(redactUrl('ghp_abcdef not a url')).toBe('[invalid url]');
  });
});
