// Makes the golden fixtures in tests/models/golden/: the outputs of each model in models/ on a
// few fixed inputs, computed by the reference runtime (tfjs, pure JavaScript, cpu backend).
//
// The input pixels come from the ffmpeg CLI (the exact argument list is recorded in each
// fixture), so a test can rebuild the same input tensor byte for byte by running the same
// command from the repository root. Run via scripts/make-golden (needs scripts/fetch-models
// and scripts/fetch-data first).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';

import * as tfcore from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfconv from '@tensorflow/tfjs-converter';

const tf = tfcore.default ?? tfcore;
const { loadGraphModel } = tfconv.default ?? tfconv;

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
process.chdir(root);
const outDir = 'tests/models/golden';

// --- inputs --------------------------------------------------------------------------------

// swscale flags: bilinear as asked for, plus accurate_rnd+bitexact so the bytes do not depend
// on which SIMD path this CPU takes.
const SWS = 'flags=bilinear+accurate_rnd+bitexact';

// An image file scaled (aspect not kept, as the human library does) to w x h, rgb24.
function imageArgs(file, w, h, pre = '') {
  return ['-nostdin', '-v', 'error', '-i', file,
    '-vf', `${pre}scale=${w}:${h}:${SWS},format=rgb24`,
    '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'];
}

// Decoded frame n (0-based, in decode order, as the trim filter counts) of a video, scaled.
function frameArgs(file, n, w, h) {
  return ['-nostdin', '-v', 'error', '-i', file, '-an',
    '-vf', `trim=start_frame=${n},scale=${w}:${h}:${SWS},format=rgb24`,
    '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'];
}

function runFfmpeg(args, w, h) {
  const buf = execFileSync('ffmpeg', args, { maxBuffer: 64 << 20 });
  if (buf.length !== w * h * 3) {
    throw new Error(`ffmpeg ${args.join(' ')}: got ${buf.length} bytes, want ${w * h * 3}`);
  }
  return buf;
}

// values = raw * scale + offset as float32 (or raw as int32), NHWC or NCHW.
function makeInput(rgb, spec) {
  const { width: w, height: h, layout, dtype, scale, offset } = spec;
  const n = w * h * 3;
  const v = dtype === 'int32' ? new Int32Array(n) : new Float32Array(n);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (let c = 0; c < 3; c++) {
        const raw = rgb[(y * w + x) * 3 + c];
        const val = dtype === 'int32' ? raw : Math.fround(raw * scale + offset);
        const i = layout === 'NCHW' ? (c * h + y) * w + x : (y * w + x) * 3 + c;
        v[i] = val;
      }
    }
  }
  const shape = layout === 'NCHW' ? [1, 3, h, w] : [1, h, w, 3];
  return tf.tensor(v, shape, dtype);
}

// --- models --------------------------------------------------------------------------------

// An IOHandler that reads model.json and its weight shards from disk.
function fileHandler(jsonPath) {
  return {
    load: async () => {
      const json = JSON.parse(readFileSync(jsonPath, 'utf8'));
      const weightSpecs = [];
      const shards = [];
      for (const group of json.weightsManifest) {
        weightSpecs.push(...group.weights);
        for (const p of group.paths) shards.push(readFileSync(join(dirname(jsonPath), p)));
      }
      const total = shards.reduce((s, b) => s + b.length, 0);
      const weightData = new Uint8Array(total);
      let at = 0;
      for (const b of shards) { weightData.set(b, at); at += b.length; }
      return {
        modelTopology: json.modelTopology,
        format: json.format,
        generatedBy: json.generatedBy,
        convertedBy: json.convertedBy,
        signature: json.signature,
        userDefinedMetadata: json.userDefinedMetadata,
        weightSpecs,
        weightData: weightData.buffer,
      };
    },
  };
}

function outputOrderSource(json) {
  if (json.userDefinedMetadata?.signature?.outputs) {
    return 'model.json userDefinedMetadata.signature.outputs key order (= tfjs GraphModel.outputNodes)';
  }
  if (json.signature?.outputs) return 'model.json signature.outputs key order (= tfjs GraphModel.outputNodes)';
  return 'graph nodes without consumers, in model.json node order (= tfjs GraphModel.outputNodes)';
}

// --- numbers -------------------------------------------------------------------------------

// Shortest decimal that reads back (via float32 rounding) as exactly the same float32.
function f32(v) {
  if (!Number.isFinite(v)) throw new Error(`non-finite output value ${v}`);
  if (Number.isInteger(v) && Math.abs(v) < 2 ** 24) return v;
  for (let p = 1; p <= 9; p++) {
    const r = Number(v.toPrecision(p));
    if (Math.fround(r) === v) return r;
  }
  return v;
}

// At most 2048 samples per output, and at most 6144 per fixture (nanodet has 6 outputs), so
// each fixture stays well under 100 KB: stride = ceil(count / maxSamples).
const samplesPerOutput = (outputs) => Math.min(2048, Math.floor(6144 / outputs));

function summarize(name, node, t, data, maxSamples) {
  const n = data.length;
  let sum = 0, abs = 0;
  for (let i = 0; i < n; i++) { sum += data[i]; abs += Math.abs(data[i]); }
  const stride = Math.ceil(n / maxSamples);
  const samples = [];
  for (let i = 0; i < n; i += stride) samples.push(f32(data[i]));
  return { name, node, shape: t.shape, dtype: t.dtype, count: n, sum, abs_sum: abs, stride, samples };
}

// Indented JSON, but arrays of numbers on one line.
const toJson = (o) => JSON.stringify(o, null, 1)
  .replace(/\[\s*(-?[\d.e+-]+(?:,\s*-?[\d.e+-]+)*)\s*\]/g, (_, xs) => `[${xs.replace(/\s+/g, '')}]`) + '\n';
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const sigmoid = (x) => 1 / (1 + Math.exp(-x));

// --- cases ---------------------------------------------------------------------------------

const models = {
  nanodet: { width: 416, height: 416, layout: 'NCHW', dtype: 'float32', scale: 1 / 255, offset: 0 },
  'blazeface-back': { width: 256, height: 256, layout: 'NHWC', dtype: 'float32', scale: 1 / 127.5, offset: -1 },
  'blazeface-front': { width: 128, height: 128, layout: 'NHWC', dtype: 'float32', scale: 1 / 127.5, offset: -1 },
  // model.json: Placeholder img_inputs [-1,112,112,3]; we feed batch 1.
  mobilefacenet: { width: 112, height: 112, layout: 'NHWC', dtype: 'float32', scale: 1 / 255, offset: 0 },
  'movenet-lightning': { width: 192, height: 192, layout: 'NHWC', dtype: 'int32', scale: 1, offset: 0 },
  selfie: { width: 256, height: 256, layout: 'NHWC', dtype: 'float32', scale: 1 / 255, offset: 0 },
};

// Messi's face in messi5.jpg (548x342): a 48x48 box at (218,88), even offsets so the crop of
// the 4:2:0 jpeg is exact, scaled up to the model's 112x112.
const MESSI_FACE = 'crop=48:48:218:88,';

const cases = [
  { model: 'nanodet', name: 'vtest-f100', source: 'frame 100 of data/vtest.avi', args: (w, h) => frameArgs('data/vtest.avi', 100, w, h) },
  { model: 'nanodet', name: 'messi5', source: 'data/messi5.jpg', args: (w, h) => imageArgs('data/messi5.jpg', w, h) },
  { model: 'blazeface-back', name: 'messi5', source: 'data/messi5.jpg', args: (w, h) => imageArgs('data/messi5.jpg', w, h) },
  { model: 'blazeface-back', name: 'megamind-f90', source: 'frame 90 of data/Megamind.avi (frontal face)', args: (w, h) => frameArgs('data/Megamind.avi', 90, w, h) },
  { model: 'blazeface-front', name: 'messi5', source: 'data/messi5.jpg', args: (w, h) => imageArgs('data/messi5.jpg', w, h) },
  { model: 'mobilefacenet', name: 'messi5-face', source: 'data/messi5.jpg, face crop 48x48 at (218,88)', args: (w, h) => imageArgs('data/messi5.jpg', w, h, MESSI_FACE) },
  { model: 'movenet-lightning', name: 'messi5', source: 'data/messi5.jpg', args: (w, h) => imageArgs('data/messi5.jpg', w, h) },
  { model: 'selfie', name: 'messi5', source: 'data/messi5.jpg', args: (w, h) => imageArgs('data/messi5.jpg', w, h) },
];

// --- sanity checks (printed, so wrong inputs or normalisations show) ------------------------

function sanity(c, outs) {
  const by = (pred) => outs.filter(pred);
  if (c.model === 'nanodet') {
    // class-score heads are [1, anchors, 80] (sigmoid already in the graph).
    const best = new Array(80).fill(-Infinity);
    for (const o of by((o) => o.shape[2] === 80)) {
      for (let i = 0; i < o.data.length; i++) best[i % 80] = Math.max(best[i % 80], o.data[i]);
    }
    const top = best.map((s, k) => [k, s]).sort((a, b) => b[1] - a[1]).slice(0, 5);
    return `top-5 classes (max score over anchors): ${top.map(([k, s]) => `${k}:${s.toFixed(3)}`).join(' ')}`;
  }
  if (c.model.startsWith('blazeface')) {
    // score heads are [1, n, 1] logits; box heads [1, n, 16].
    let max = -Infinity;
    for (const o of by((o) => o.shape[2] === 1)) for (const v of o.data) max = Math.max(max, v);
    return `max face logit ${max.toFixed(3)}, sigmoid ${sigmoid(max).toFixed(4)}`;
  }
  if (c.model === 'mobilefacenet') {
    const d = outs[0].data;
    const norm = Math.sqrt(d.reduce((s, v) => s + v * v, 0));
    return `embedding length ${d.length}, L2 norm ${norm.toFixed(4)}`;
  }
  if (c.model === 'movenet-lightning') {
    const d = outs[0].data; // [1,1,17,3]: y, x, score
    const scores = [];
    for (let k = 0; k < 17; k++) scores.push(d[k * 3 + 2]);
    const nose = `nose y=${d[0].toFixed(3)} x=${d[1].toFixed(3)}`;
    return `keypoint scores mean ${(scores.reduce((a, b) => a + b) / 17).toFixed(3)} max ${Math.max(...scores).toFixed(3)}; ${nose}`;
  }
  if (c.model === 'selfie') {
    const d = outs[0].data;
    const fg = d.reduce((s, v) => s + (v > 0.5 ? 1 : 0), 0) / d.length;
    return `mask > 0.5 on ${(100 * fg).toFixed(1)}% of pixels`;
  }
  return '';
}

// --- main ----------------------------------------------------------------------------------

await tf.setBackend('cpu');
await tf.ready();
mkdirSync(outDir, { recursive: true });
const ffmpegVersion = execFileSync('ffmpeg', ['-version']).toString().split('\n')[0];
console.log(`tfjs ${tf.version_core}, backend ${tf.getBackend()}, node ${process.version}, ${ffmpegVersion}`);

const loaded = {};
for (const c of cases) {
  const spec = models[c.model];
  const modelJson = `models/${c.model}.json`;
  if (!loaded[c.model]) {
    const model = await loadGraphModel(fileHandler(modelJson));
    const json = JSON.parse(readFileSync(modelJson, 'utf8'));
    loaded[c.model] = { model, json };
  }
  const { model, json } = loaded[c.model];
  const inputName = model.inputNodes[0];
  const outputNames = model.outputNodes;
  const outputNodes = model.outputs.map((o) => `${o.name}:0`);

  const args = c.args(spec.width, spec.height);
  const rgb = runFfmpeg(args, spec.width, spec.height);
  const input = makeInput(rgb, spec);

  const run = () => {
    const r = model.execute({ [inputName]: input }, outputNames);
    const ts = Array.isArray(r) ? r : [r];
    const data = ts.map((t) => t.dataSync());
    return { ts, data };
  };
  // Timing: one warm-up, then the median of 3 runs of execute() + reading back every output.
  tf.dispose(run().ts);
  const times = [];
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    const r = run();
    times.push(performance.now() - t0);
    tf.dispose(r.ts);
  }
  const { ts, data } = run();
  const maxSamples = samplesPerOutput(ts.length);
  const outs = ts.map((t, i) => ({ ...summarize(outputNames[i], outputNodes[i], t, data[i], maxSamples), data: data[i] }));

  const fixture = {
    model: c.model,
    case: c.name,
    source: c.source,
    model_json: modelJson,
    model_json_sha256: createHash('sha256').update(readFileSync(modelJson)).digest('hex'),
    tfjs_version: tf.version_core,
    tfjs_backend: 'cpu',
    ffmpeg_version: ffmpegVersion,
    input: {
      ffmpeg_args: args,
      width: spec.width,
      height: spec.height,
      layout: spec.layout,
      dtype: spec.dtype,
      scale: spec.scale,
      offset: spec.offset,
      formula: spec.dtype === 'int32' ? 'value = raw' : 'value = (float)(raw * scale + offset), computed in double',
      name: inputName,
      shape: input.shape,
      rgb_bytes: rgb.length,
      rgb_sha256: createHash('sha256').update(rgb).digest('hex'),
    },
    output_order_source: outputOrderSource(json),
    max_samples_per_output: maxSamples,
    outputs: outs.map(({ data: _d, ...o }) => o),
    tfjs_cpu_ms: Number(median(times).toFixed(2)),
    tfjs_cpu_timing: `median of 3 runs after 1 warm-up, batch 1: model.execute() + dataSync() of every output; node ${process.version}`,
    sum_note: 'sum and abs_sum are float64 accumulations in index order; samples are v[0], v[stride], v[2*stride], ... with stride = ceil(count / max_samples_per_output) (shortest decimals that round to the exact float32)',
  };
  const file = join(outDir, `${c.model}-${c.name}.json`);
  writeFileSync(file, toJson(fixture));
  console.log(`${file}: ${outs.map((o) => `${o.name}[${o.shape}]`).join(' ')}; ${fixture.tfjs_cpu_ms} ms; ${sanity(c, outs)}`);
  tf.dispose([input, ...ts]);
}
