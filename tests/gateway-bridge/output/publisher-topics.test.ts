import { describe, expect, it } from 'vitest';
import { assertTopicLevel, gatewayStatusPayload, topicLayout, TopicError } from '../../../gateway-bridge/src/output/topics.ts';

describe('topicLayout', () => {
  const topics = topicLayout({ gatewayId: 'pi-rathaus' });

  it('lays out the device and gateway topics under the default prefix', () => {
    expect(topics.up('road-3')).toBe('stadtsensor/road-3/up');
    expect(topics.state('road-3')).toBe('stadtsensor/road-3/state');
    expect(topics.down('road-3')).toBe('stadtsensor/road-3/down');
    expect(topics.downSubscription).toBe('stadtsensor/+/down');
    expect(topics.status).toBe('stadtsensor/gateway/pi-rathaus/status');
    expect(topics.rejected).toBe('stadtsensor/gateway/pi-rathaus/rejected');
  });

  it('takes a prefix of several levels', () => {
    const town = topicLayout({ prefix: 'musterstadt/sensors', gatewayId: 'gw1' });
    expect(town.up('park-12')).toBe('musterstadt/sensors/park-12/up');
    expect(town.status).toBe('musterstadt/sensors/gateway/gw1/status');
  });

  it('finds the device of a down topic and nothing else', () => {
    expect(topics.parseDown('stadtsensor/road-3/down')).toBe('road-3');
    expect(topics.parseDown('stadtsensor/road-3/up')).toBeUndefined();
    expect(topics.parseDown('other/road-3/down')).toBeUndefined();
    expect(topics.parseDown('stadtsensor/a/b/down')).toBeUndefined();
    expect(topics.parseDown('stadtsensor//down')).toBeUndefined();
    expect(topics.parseDown('stadtsensor/gateway/down')).toBeUndefined();
  });

  it.each([
    ['', /must not be empty/],
    ['a/b', /must not contain "\/"/],
    ['a+', /must not contain "\+"/],
    ['#', /must not contain "#"/],
    ['a\u0000b', /must not contain "\\0"/],
    ['gateway', /reserved/],
  ])('refuses the device id %j', (id, message) => {
    expect(() => topics.up(id)).toThrow(TopicError);
    expect(() => topics.state(id)).toThrow(message);
  });

  it.each([
    [{ prefix: '', gatewayId: 'gw' }, /prefix must not be empty/],
    [{ prefix: 'a//b', gatewayId: 'gw' }, /level must not be empty/],
    [{ prefix: 'a/+', gatewayId: 'gw' }, /must not contain "\+"/],
    [{ prefix: '$SYS', gatewayId: 'gw' }, /must not start with "\$"/],
    [{ gatewayId: 'pi/1' }, /gateway id "pi\/1" must not contain "\/"/],
    [{ gatewayId: '' }, /gateway id must not be empty/],
  ])('refuses the layout %j', (options, message) => {
    expect(() => topicLayout(options)).toThrow(message);
  });

  it('limits a level to 256 bytes', () => {
    expect(() => assertTopicLevel('device id', 'ä'.repeat(129))).toThrow(/longer than 256 bytes/);
    expect(() => assertTopicLevel('device id', 'a'.repeat(256))).not.toThrow();
  });
});

it('writes the status with state first, so a template reads value_json.state', () => {
  const payload = gatewayStatusPayload({ state: 'online', gatewayId: 'gw', since: '2025-03-01T06:00:00.000Z', stats: { queued: 3 } });
  expect(payload.startsWith('{"state":"online"')).toBe(true);
  expect(JSON.parse(payload)).toEqual({ state: 'online', gatewayId: 'gw', since: '2025-03-01T06:00:00.000Z', stats: { queued: 3 } });
});
