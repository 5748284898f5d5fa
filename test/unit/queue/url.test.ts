// The queue's Redis URL: parsed into connection options, the password masked in every form
// a message could show it, and bad URLs named without their password.
import { describe, expect, it } from 'vitest';
import { KmatrixError } from '../../../src/core/errors.js';
import { chooseRedisUrl, displayUrl, parseRedisUrl, redact } from '../../../src/queue/url.js';

describe('parseRedisUrl', () => {
  it('reads host, port, database, user and password; displays the password as ***', () => {
    expect(parseRedisUrl('redis://build:s3cr%40t@queue.lab:6390/2')).toEqual({
      display: 'redis://build:***@queue.lab:6390/2',
      host: 'queue.lab',
      port: 6390,
      db: 2,
      tls: false,
      username: 'build',
      password: 's3cr@t',
    });
  });

  it('defaults to port 6379 and database 0; rediss:// is TLS', () => {
    expect(parseRedisUrl('rediss://queue.lab')).toMatchObject({ port: 6379, db: 0, tls: true });
  });

  it('takes the password from KMATRIX_REDIS_PASSWORD when the URL has none', () => {
    const t = parseRedisUrl('redis://127.0.0.1:6390', { KMATRIX_REDIS_PASSWORD: 'pw' });
    expect(t).toMatchObject({ password: 'pw', display: 'redis://127.0.0.1:6390' });
  });

  it('reads a unix socket URL', () => {
    expect(parseRedisUrl('unix:///run/kmatrix/redis.sock')).toMatchObject({
      path: '/run/kmatrix/redis.sock',
      db: 0,
      tls: false,
    });
  });

  it.each([
    ['http://queue:6379', /unknown scheme "http"/],
    ['redis://queue:6379/cells', /the path must be a database number, not "cells"/],
    ['redis://queue:6379?password=x', /query strings/],
    ['not a url', /not a URL/],
    ['unix://relative/sock', /unix:\/\/\/PATH/],
  ])('refuses %s with what is accepted', (url, why) => {
    let err: unknown;
    try {
      parseRedisUrl(url);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(KmatrixError);
    expect((err as Error).message).toMatch(why);
    expect((err as Error).message).toMatch(/accepted: redis:\/\//);
  });

  it('never quotes the password of a URL it refuses', () => {
    expect(() => parseRedisUrl('redis://:hunter2@queue:6379/x')).toThrow(
      /^bad Redis URL "redis:\/\/:\*\*\*@queue:6379\/x"/,
    );
    expect(() => parseRedisUrl('redis://:hunter2@queue:6379/x')).not.toThrow(/hunter2/);
  });
});

describe('masking', () => {
  it('displayUrl masks a password even in text that does not parse', () => {
    expect(displayUrl('redis://u:p@ss@h')).toBe('redis://u:***@h');
    expect(displayUrl('redis://h:6379')).toBe('redis://h:6379');
  });

  it('redact masks the secret and its URL-encoded form', () => {
    expect(redact('auth s3cr@t failed at redis://:s3cr%40t@h', ['s3cr@t'])).toBe(
      'auth *** failed at redis://:***@h',
    );
  });

  it('chooseRedisUrl: --redis, then the matrix, then $KMATRIX_REDIS_URL', () => {
    const env = { KMATRIX_REDIS_URL: 'redis://env' };
    expect(chooseRedisUrl('redis://flag', 'redis://file', env)).toBe('redis://flag');
    expect(chooseRedisUrl(undefined, 'redis://file', env)).toBe('redis://file');
    expect(chooseRedisUrl(undefined, undefined, env)).toBe('redis://env');
    expect(chooseRedisUrl(undefined, undefined, {})).toBeUndefined();
  });
});
