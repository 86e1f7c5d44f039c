import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, WeightsFormatError } from '../../src/errors';
import { COCO_CLASS_NAMES } from '../../src/weights/coco-classes';
import { convertCheckpoint } from '../../src/weights/convert';
import { decodeHeader, encodeHeader, readFileHead } from '../../src/weights/format';
import { reencodeWeights } from '../../src/weights/reencode';
import { fixture } from './weights-helpers';

// Class names travel in the weights header (WeightsHeader.class_names).
describe('class names in the weights file', () => {
  it('the converter records the names given, none by default for a non-COCO class count, and refuses a wrong count', () => {
    const checkpoint = fixture('tiny-d2.pth.gz');
    const named = convertCheckpoint(checkpoint, { classNames: ['cat', 'dog', 'owl'] });
    expect(readFileHead(named.bytes).header.classNames).toEqual(['cat', 'dog', 'owl']);
    expect(readFileHead(convertCheckpoint(checkpoint).bytes).header.classNames).toBeUndefined();
    expect(() => convertCheckpoint(checkpoint, { classNames: ['cat', 'dog'] })).toThrow(InvalidArgumentError);
    expect(() => convertCheckpoint(checkpoint, { classNames: ['cat', '', 'owl'] })).toThrow(/class name 1 is empty/);
    expect(COCO_CLASS_NAMES).toHaveLength(80);
    expect(new Set(COCO_CLASS_NAMES).size).toBe(80);
    expect([COCO_CLASS_NAMES[0], COCO_CLASS_NAMES[79]]).toEqual(['person', 'toothbrush']);
  });

  it('a header whose names do not match the class count is a WeightsFormatError', () => {
    const { header } = readFileHead(convertCheckpoint(fixture('tiny-d2.pth.gz')).bytes);
    expect(() => decodeHeader(encodeHeader({ ...header, classNames: ['a', 'b'] }))).toThrow(WeightsFormatError);
    expect(() => decodeHeader(encodeHeader({ ...header, classNames: ['a', 'b'] }))).toThrow(/2 class names for 3 classes/);
    expect(decodeHeader(encodeHeader({ ...header, classNames: ['a', 'b', 'c'] })).classNames).toEqual(['a', 'b', 'c']);
  });

  it('the default model records its labels; reencode adds names without touching a tensor byte', () => {
    const file = new Uint8Array(readFileSync('weights/default/model.dhw'));
    const labels = JSON.parse(readFileSync('weights/default/labels.json', 'utf8')) as string[];
    const { preamble, header } = readFileHead(file);
    expect(header.classNames).toEqual(labels);
    const renamed = reencodeWeights(file, { classNames: labels.map((l) => l.toUpperCase()) });
    const after = readFileHead(renamed.bytes);
    expect(after.header.classNames).toEqual(labels.map((l) => l.toUpperCase()));
    expect(Buffer.compare(renamed.bytes.subarray(after.preamble.dataStart), file.subarray(preamble.dataStart))).toBe(0);
    expect(() => reencodeWeights(file, { classNames: ['one'] })).toThrow(InvalidArgumentError);
  });
});
