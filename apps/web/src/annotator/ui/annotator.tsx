"use client";
// The annotator: SAM's decoder in a Web Worker on the image's stored embedding, prompts by click and box,
// pixel fixes by brush and eraser, labels, and saving with optimistic concurrency. The draft is a pure
// reducer (state/draft.ts); the worker holds the pixels; this component wires input, worker and server.
import { useRouter } from "next/navigation";
import { useCallback, useEffect, useReducer, useRef, useState, type PointerEvent as ReactPointerEvent } from "react";
import { createApi, errorCode, errorMessage, type Api } from "../data/api.ts";
import { cachedEmbedding, fetchEmbedding, isCached } from "../data/embedding-cache.ts";
import { dropPending, keepPending, listPending, type PendingSave } from "../data/pending-saves.ts";
import type { Edit } from "../raster/edits.ts";
import { hasShape, newSession, promptRequest, promptsRecord, reduce, shapeChanged, type Action, type Box, type DraftState, type Session } from "../state/draft.ts";
import { LIVE_MASK_STATUSES } from "../state/live-masks.ts";
import { commandFor, type Command } from "../state/shortcuts.ts";
import { fitView, panBy, toImage, zoomAt, type View } from "../view/transform.ts";
import type { DecoderClient } from "../worker/decoder-client.ts";
import { acquireDecoder, releaseDecoder } from "../worker/shared-decoder.ts";
import type { DraftShape, RenderResult } from "../worker/protocol.ts";
import styles from "./annotator.module.css";
import { HelpOverlay } from "./help-overlay.tsx";
import { SidePanel, type MaskRow } from "./side-panel.tsx";
import { drawStage, putLayer, type Layers } from "./stage-draw.ts";

export interface LabelOption {
  id: string;
  name: string;
  color: string;
  /** Archived labels only colour existing masks; they are not offered for new ones. */
  archived?: boolean;
}

export interface AnnotatorProps {
  projectId: string;
  userId: string;
  image: { id: string; fileName: string; width: number; height: number; url: string };
  labels: LabelOption[];
  masks: MaskRow[];
  neighbors: { previous: { id: string } | null; next: { id: string }[] };
}

export type Tool = "sam" | "brush" | "eraser" | "select";
type Phase = { kind: "loading"; message: string; progress?: number } | { kind: "ready" } | { kind: "error"; message: string };
type Notice = { tone: "info" | "error"; text: string; conflict?: boolean; signIn?: boolean } | null;

/** What the benchmark and the browser tests read (window.__annotator). */
export interface AnnotatorStats {
  phase: string;
  /** ms from navigation start until the first click could be answered. */
  readyAt: number | null;
  threads: number;
  crossOriginIsolated: boolean;
  /** The decoder came from the browser cache rather than the network. */
  decoderFromCache: boolean;
  /** ms from each click (or box) to its mask drawn on the canvas. */
  clickToDrawn: number[];
  decodeMs: number[];
  draftArea: number;
  candidates: number;
  candidateIndex: number;
  /** The candidate whose pixels the draft layer shows (null: no SAM result drawn). */
  drawnCandidate: number | null;
  saved: number;
  /** Hover previews drawn. */
  hovers: number;
}

const DEFAULT_COLOR = "#00b7ff";

const DRAG_THRESHOLD_PX = 5;
const PRELOAD_COUNT = 2;

function statsObject(): AnnotatorStats {
  const w = window as unknown as { __annotator?: AnnotatorStats };
  w.__annotator ??= { phase: "loading", readyAt: null, threads: 0, crossOriginIsolated: false, decoderFromCache: false, clickToDrawn: [], decodeMs: [], draftArea: 0, candidates: 0, candidateIndex: 0, drawnCandidate: null, saved: 0, hovers: 0 };
  return w.__annotator;
}

function requestedThreads(): number {
  const q = new URLSearchParams(window.location.search).get("threads");
  const n = q ? Number.parseInt(q, 10) : Number.NaN;
  if (Number.isInteger(n) && n >= 1) return n;
  // One core stays with the page (input, drawing) and the browser: on a 2-core machine two decoder threads
  // measured slower than one (bench:web), because the pool's threads wait on each other while the
  // page's main thread and the compositor take one of the two cores.
  return Math.max(1, Math.min(8, (navigator.hardwareConcurrency || 1) - 1));
}

export function Annotator(props: AnnotatorProps) {
  const { projectId, image, userId } = props;
  const allLabels = props.labels;
  const labels = allLabels.filter((l) => !l.archived);
  const router = useRouter();
  const apiRef = useRef<Api | null>(null);
  const clientRef = useRef<DecoderClient | null>(null);
  const canvasRef = useRef<HTMLCanvasElement | null>(null);
  const layers = useRef<Layers>({ image: null, others: null, draft: null, hover: null });
  const viewRef = useRef<View>({ scale: 1, tx: 0, ty: 0 });
  const sessionRef = useRef<Session>(newSession(labels[0]?.id ?? null));
  const [, rerender] = useReducer((x: number) => x + 1, 0);
  const [phase, setPhase] = useState<Phase>({ kind: "loading", message: "Loading the decoder…" });
  const [tool, setToolState] = useState<Tool>("sam");
  const toolRef = useRef<Tool>("sam");
  const [brush, setBrush] = useState(12);
  const [showOthers, setShowOthers] = useState(true);
  const [hoverOn, setHoverOn] = useState(false);
  const [help, setHelp] = useState(false);
  const [notice, setNotice] = useState<Notice>(null);
  const [saving, setSaving] = useState(false);
  const [masks, setMasks] = useState<MaskRow[]>(props.masks);
  const masksRef = useRef(masks);
  masksRef.current = masks;
  const overlay = useRef({ dragBox: null as Box | null, stroke: null as { points: [number, number][]; radius: number; erase: boolean } | null, pen: null as { x: number; y: number; radius: number } | null });
  const renderSeq = useRef(0);
  const promptSeq = useRef(0);
  const promptsInFlight = useRef(0);
  const renderAfterPrompt = useRef(false);
  /** Keys of copies kept in localStorage by failed saves of the current draft. */
  const keptKeys = useRef<string[]>([]);
  const hoverBusy = useRef(false);
  const frameScheduled = useRef(false);
  const spaceDown = useRef(false);
  const optsRef = useRef({ showOthers, hoverOn, brush });
  optsRef.current = { showOthers, hoverOn, brush };

  const labelColor = useCallback((id: string | null) => allLabels.find((l) => l.id === id)?.color ?? DEFAULT_COLOR, [allLabels]);
  const present = sessionRef.current.present;
  const stage = masks.some((m) => m.source === "AUTO") ? 2 : 1;

  // ---- drawing -------------------------------------------------------------------------------------
  const draw = useCallback(() => {
    const canvas = canvasRef.current;
    if (!canvas) return;
    const d = sessionRef.current.present;
    drawStage(canvas, viewRef.current, image, layers.current, {
      points: d.points, box: d.box, dragBox: overlay.current.dragBox, stroke: overlay.current.stroke, pen: overlay.current.pen, showOthers: optsRef.current.showOthers,
    });
  }, [image]);

  const scheduleDraw = useCallback(() => {
    if (frameScheduled.current) return;
    frameScheduled.current = true;
    requestAnimationFrame(() => {
      frameScheduled.current = false;
      draw();
    });
  }, [draw]);

  const setDraftLayer = useCallback((r: RenderResult | null, candidate: number | null) => {
    if (r) layers.current.draft = putLayer(layers.current.draft, r.rgba, r.width, r.height);
    else if (layers.current.draft) layers.current.draft.getContext("2d")!.clearRect(0, 0, layers.current.draft.width, layers.current.draft.height);
    const s = statsObject();
    s.draftArea = r?.area ?? 0;
    s.drawnCandidate = r ? candidate : null;
  }, []);

  const shapeOf = (d: DraftState): DraftShape => ({ result: d.result ? { resultId: d.result.resultId, index: d.result.index } : null, baseMaskId: d.target?.maskId ?? null, edits: d.edits });

  /** Re-renders the draft layer from the worker (after undo, redo, cycling, edits, relabelling). */
  const renderDraft = useCallback(async () => {
    // A decoder run in flight will change the draft: render once its answer is in (see runPrompt).
    if (promptsInFlight.current > 0) {
      renderAfterPrompt.current = true;
      return;
    }
    const client = clientRef.current;
    const d = sessionRef.current.present;
    const seq = ++renderSeq.current;
    if (!client || (!d.result && !d.target && d.edits.length === 0)) {
      setDraftLayer(null, null);
      draw();
      return;
    }
    try {
      const r = await client.call("render", { draft: shapeOf(d), color: labelColor(d.labelClassId) });
      if (seq !== renderSeq.current) return;
      setDraftLayer(r, d.result?.index ?? null);
      draw();
    } catch (err) {
      setNotice({ tone: "error", text: errorMessage(err) });
    }
  }, [draw, labelColor, setDraftLayer]);

  const renderOthers = useCallback(async () => {
    const client = clientRef.current;
    if (!client) return;
    const target = sessionRef.current.present.target;
    const r = await client.call("renderOthers", { hidden: target ? [target.maskId] : [] });
    layers.current.others = putLayer(layers.current.others, r.rgba, r.width, r.height);
    draw();
  }, [draw]);

  const dispatch = useCallback((a: Action) => {
    sessionRef.current = reduce(sessionRef.current, a);
    const d = sessionRef.current.present;
    const s = statsObject();
    s.candidates = d.result?.scores.length ?? 0;
    s.candidateIndex = d.result?.index ?? 0;
    rerender();
  }, []);

  // ---- SAM -------------------------------------------------------------------------------------------
  const runPrompt = useCallback(async (clickedAt: number) => {
    const client = clientRef.current;
    if (!client) return;
    const d = sessionRef.current.present;
    if (d.points.length === 0 && !d.box) return;
    const req = promptRequest(d);
    const seq = ++promptSeq.current;
    promptsInFlight.current++;
    try {
      const r = await client.call("predict", {
        ...req, keep: true,
        render: { index: req.multimask ? "best" : 0, draft: { baseMaskId: null, edits: d.edits }, color: labelColor(d.labelClassId) },
      });
      dispatch({ type: "result", resultId: r.resultId, scores: r.scores, index: r.index, forDraft: d });
      promptsInFlight.current--;
      if (seq !== promptSeq.current) return;
      layers.current.hover = null;
      if (renderAfterPrompt.current || sessionRef.current.present.result?.resultId !== r.resultId) {
        // Something changed the draft meanwhile (label, cycling, undo): draw what it is now.
        renderAfterPrompt.current = false;
        await renderDraft();
      } else {
        renderSeq.current++;
        setDraftLayer(r.render, r.index);
        draw();
      }
      const s = statsObject();
      s.clickToDrawn.push(performance.now() - clickedAt);
      s.decodeMs.push(r.decodeMs);
    } catch (err) {
      promptsInFlight.current = Math.max(0, promptsInFlight.current - 1);
      setNotice({ tone: "error", text: `SAM could not answer: ${errorMessage(err)}` });
    }
  }, [dispatch, draw, labelColor, renderDraft, setDraftLayer]);

  const hoverPreview = useCallback(async (x: number, y: number) => {
    const client = clientRef.current;
    if (!client || hoverBusy.current) return;
    hoverBusy.current = true;
    try {
      const d = sessionRef.current.present;
      const withHover: DraftState = { ...d, points: [...d.points, { x, y, label: 1 }] };
      const req = promptRequest(withHover);
      const r = await client.call("predict", { ...req, keep: false, render: { index: req.multimask ? "best" : 0, draft: { baseMaskId: null, edits: [] }, color: "#ffffff" } });
      if (r.render && optsRef.current.hoverOn) {
        statsObject().hovers++;
        layers.current.hover = putLayer(layers.current.hover ?? document.createElement("canvas"), r.render.rgba, r.render.width, r.render.height);
        scheduleDraw();
      }
    } catch {
      // A preview that fails is simply not shown; the click itself reports errors.
    } finally {
      hoverBusy.current = false;
    }
  }, [scheduleDraw]);

  // ---- loading: decoder + embedding in parallel, then the masks ----------------------------------------
  useEffect(() => {
    const api = createApi();
    apiRef.current = api;
    let client: DecoderClient | null = null;
    let cancelled = false;
    const stats = statsObject();
    stats.phase = "loading";
    stats.readyAt = null;

    const img = new Image();
    img.decoding = "async";
    img.onload = () => scheduleDraw();
    img.src = image.url;
    layers.current.image = img;

    async function loadEmbedding(modelVersionId: string): Promise<ArrayBuffer> {
      const cached = await cachedEmbedding(modelVersionId, image.id).catch(() => null);
      if (cached) return cached;
      let requested = false;
      for (;;) {
        if (cancelled) throw new Error("closed");
        const e = await api.images.embedding.query({ projectId, imageId: image.id });
        if (e.status === "ready" && e.url) return fetchEmbedding(modelVersionId, image.id, e.url);
        if (e.status === "no-model") throw new Error(e.message ?? "The project has no active model");
        if (e.status === "failed" && requested) throw new Error(`Computing the embedding failed: ${e.message}`);
        if (e.status === "none" || (e.status === "failed" && !requested)) {
          await api.images.requestEmbedding.mutate({ projectId, imageId: image.id, priority: 90 });
          requested = true;
        }
        setPhase({ kind: "loading", message: e.status === "running" ? `Computing the embedding… ${e.message ?? ""}` : "Waiting for the worker to embed this image…", progress: e.progress });
        await new Promise((r) => setTimeout(r, 700));
      }
    }

    async function preloadNext(modelVersionId: string) {
      for (const next of props.neighbors.next.slice(0, PRELOAD_COUNT)) {
        if (cancelled) return;
        if (await isCached(modelVersionId, next.id).catch(() => false)) continue;
        const e = await api.images.embedding.query({ projectId, imageId: next.id });
        if (e.status === "ready" && e.url) await fetchEmbedding(modelVersionId, next.id, e.url);
        else if (e.status === "none") await api.images.requestEmbedding.mutate({ projectId, imageId: next.id, priority: 40 });
      }
    }

    (async () => {
      try {
        const decoder = await api.images.decoder.query({ projectId });
        const threads = requestedThreads();
        if (cancelled) return;
        const shared = acquireDecoder(`${decoder.modelVersionId}|${threads}`, (c) =>
          c.call("init", { decoderUrl: decoder.decoderUrl, decoderSha256: decoder.decoderSha256, modelId: decoder.embeddingModelId, threads, wasmPaths: "/ort/" }),
        );
        client = shared.client;
        clientRef.current = client;
        const [init, bytes] = await Promise.all([shared.init, loadEmbedding(decoder.modelVersionId)]);
        if (cancelled) return;
        stats.threads = init.threads;
        stats.crossOriginIsolated = init.crossOriginIsolated;
        stats.decoderFromCache = init.decoderFromCache;
        await client.call("setImage", { imageId: image.id, embedding: bytes, width: image.width, height: image.height }, [bytes]);
        await client.call("setMasks", { masks: masksRef.current.map((m) => ({ id: m.id, rle: m.rle, color: labelColor(m.labelClassId) })) });
        await renderOthers();
        if (cancelled) return;
        stats.readyAt = performance.now();
        stats.phase = "ready";
        setPhase({ kind: "ready" });
        void resubmitPending();
        void preloadNext(decoder.modelVersionId).catch(() => undefined);
      } catch (err) {
        if (cancelled) return;
        stats.phase = "error";
        setPhase({ kind: "error", message: errorMessage(err) });
      }
    })();
    return () => {
      cancelled = true;
      if (client) releaseDecoder(client);
      clientRef.current = null;
    };
    // Opening another image remounts the page; the props of one image do not change.
  }, [image.id]);

  // ---- the canvas's size follows its box -----------------------------------------------------------------
  useEffect(() => {
    const canvas = canvasRef.current;
    if (!canvas) return;
    let fitted = false;
    const resize = () => {
      const dpr = window.devicePixelRatio || 1;
      canvas.width = Math.max(1, Math.round(canvas.clientWidth * dpr));
      canvas.height = Math.max(1, Math.round(canvas.clientHeight * dpr));
      if (!fitted) {
        viewRef.current = fitView(image, { width: canvas.clientWidth, height: canvas.clientHeight });
        fitted = true;
      }
      draw();
    };
    const ro = new ResizeObserver(resize);
    ro.observe(canvas);
    resize();
    const wheel = (e: WheelEvent) => {
      e.preventDefault();
      const rect = canvas.getBoundingClientRect();
      viewRef.current = zoomAt(viewRef.current, Math.exp(-e.deltaY * 0.0015), e.clientX - rect.left, e.clientY - rect.top);
      scheduleDraw();
    };
    canvas.addEventListener("wheel", wheel, { passive: false });
    return () => {
      ro.disconnect();
      canvas.removeEventListener("wheel", wheel);
    };
  }, [draw, image, scheduleDraw]);

  // ---- saving -------------------------------------------------------------------------------------------
  const refreshMasks = useCallback(async () => {
    const api = apiRef.current;
    const client = clientRef.current;
    if (!api || !client) return;
    const rows = (await api.masks.list.query({ projectId, imageId: image.id, statuses: [...LIVE_MASK_STATUSES] })) as MaskRow[];
    setMasks(rows);
    await client.call("setMasks", { masks: rows.map((m) => ({ id: m.id, rle: m.rle, color: labelColor(m.labelClassId) })) });
    await renderOthers();
  }, [image.id, labelColor, projectId, renderOthers]);

  const submit = useCallback(async (entry: PendingSave) => {
    const api = apiRef.current!;
    if (entry.kind === "create") await api.masks.create.mutate(entry.input as Parameters<Api["masks"]["create"]["mutate"]>[0]);
    else await api.masks.update.mutate(entry.input as Parameters<Api["masks"]["update"]["mutate"]>[0]);
  }, []);

  const resubmitPending = useCallback(async () => {
    const pending = listPending(localStorage, userId, image.id);
    let saved = 0;
    for (const entry of pending) {
      try {
        await submit(entry);
        dropPending(localStorage, entry.key);
        saved++;
      } catch (err) {
        setNotice({ tone: "error", text: `A mask kept from an earlier session could not be saved: ${errorMessage(err)}` });
      }
    }
    if (saved > 0) {
      await refreshMasks();
      setNotice({ tone: "info", text: `Saved ${saved} mask${saved > 1 ? "s" : ""} kept in this browser from before you signed in again.` });
    }
  }, [image.id, refreshMasks, submit, userId]);

  const finishDraft = useCallback(async () => {
    dispatch({ type: "reset" });
    layers.current.hover = null;
    await renderDraft();
    // Queued in the worker before any later click's run, so it never drops a newer result.
    await clientRef.current?.call("forgetResults", {});
  }, [dispatch, renderDraft]);

  const save = useCallback(async (asNew = false) => {
    const client = clientRef.current;
    const s = sessionRef.current;
    const d = s.present;
    if (!client || saving || !hasShape(d)) return;
    setSaving(true);
    setNotice(null);
    const timeSpentMs = s.startedAt === null ? 0 : Math.round(performance.now() - s.startedAt);
    const target = asNew ? null : d.target;
    let entry: PendingSave | null = null;
    try {
      const common = { projectId, labelClassId: d.labelClassId, timeSpentMs, clicks: s.clicks, prompts: promptsRecord(d) };
      if (target && !shapeChanged(d)) {
        entry = { key: `${image.id}:${target.maskId}:${Date.now()}`, userId, projectId, imageId: image.id, savedAt: Date.now(), kind: "update", input: { ...common, maskId: target.maskId, expectedVersion: target.version } };
      } else {
        const full = await client.call("finalize", { draft: shapeOf(d) });
        if (full.area === 0) {
          setNotice({ tone: "error", text: "The mask is empty: click on an object or paint with the brush first." });
          return;
        }
        entry = target
          ? { key: `${image.id}:${target.maskId}:${Date.now()}`, userId, projectId, imageId: image.id, savedAt: Date.now(), kind: "update", input: { ...common, maskId: target.maskId, expectedVersion: target.version, rle: full.counts } }
          : {
              key: `${image.id}:new:${Date.now()}`, userId, projectId, imageId: image.id, savedAt: Date.now(), kind: "create",
              input: {
                ...common, imageId: image.id, rle: full.counts, source: d.points.length || d.box ? "ASSISTED" : "MANUAL", stage,
                ...(full.predictedIou !== null && d.edits.length === 0 ? { predictedIou: Math.max(0, Math.min(1.5, full.predictedIou)) } : {}),
              },
            };
      }
      await submit(entry);
      // Saved from this page after all (signed in again in another tab): the kept copies must not be replayed.
      for (const key of keptKeys.current.splice(0)) dropPending(localStorage, key);
      statsObject().saved++;
      await finishDraft();
      await refreshMasks();
      setNotice({ tone: "info", text: target ? "Mask updated." : "Mask saved." });
      router.refresh();
    } catch (err) {
      const code = errorCode(err);
      if (code === "UNAUTHORIZED" && entry) {
        keepPending(localStorage, entry);
        keptKeys.current.push(entry.key);
        setNotice({ tone: "error", signIn: true, text: "Your session has expired. The mask is kept in this browser and will be saved when you sign in again." });
      } else if (code === "CONFLICT") {
        // The draft stays on the page; the annotator decides (a silent retry would overwrite or duplicate).
        setNotice({ tone: "error", conflict: true, text: `Someone changed this mask after you opened it, so it was not overwritten: ${errorMessage(err)} Your edit is still here: save it as a new mask, or discard it and reload.` });
      } else {
        setNotice({ tone: "error", text: `Not saved: ${errorMessage(err)}` });
      }
    } finally {
      setSaving(false);
    }
  }, [finishDraft, image.id, projectId, refreshMasks, router, saving, stage, submit, userId]);

  const saveAsNew = useCallback(async () => {
    // The conflicting draft becomes a new mask; the copy kept for safety is no longer needed afterwards.
    await save(true);
  }, [save]);

  const deleteSelected = useCallback(async () => {
    const target = sessionRef.current.present.target;
    const api = apiRef.current;
    if (!target || !api) return;
    try {
      await api.masks.delete.mutate({ projectId, maskId: target.maskId, expectedVersion: target.version });
      await finishDraft();
      await refreshMasks();
      setNotice({ tone: "info", text: "Mask deleted." });
      router.refresh();
    } catch (err) {
      setNotice({ tone: "error", text: `Not deleted: ${errorMessage(err)}` });
    }
  }, [finishDraft, projectId, refreshMasks, router]);

  const openMask = useCallback(async (maskId: string) => {
    const m = masksRef.current.find((x) => x.id === maskId);
    if (!m) return;
    dispatch({ type: "open", target: { maskId: m.id, version: m.version, labelClassId: m.labelClassId } });
    await clientRef.current?.call("forgetResults", {});
    await renderOthers();
    await renderDraft();
  }, [dispatch, renderDraft, renderOthers]);

  const discard = useCallback(async () => {
    const hadTarget = sessionRef.current.present.target !== null;
    await finishDraft();
    if (hadTarget) await renderOthers();
    setNotice(null);
  }, [finishDraft, renderOthers]);

  // ---- commands --------------------------------------------------------------------------------------------
  const setTool = useCallback((t: Tool) => {
    toolRef.current = t;
    setToolState(t);
    overlay.current.pen = null;
    layers.current.hover = null;
    scheduleDraw();
  }, [scheduleDraw]);

  const canvasCenter = () => {
    const c = canvasRef.current!;
    return [c.clientWidth / 2, c.clientHeight / 2] as const;
  };

  const runCommand = useCallback((cmd: Command) => {
    if (typeof cmd === "object") {
      const label = labels[cmd.label];
      if (label) {
        dispatch({ type: "label", labelClassId: label.id });
        void renderDraft();
      }
      return;
    }
    switch (cmd) {
      case "tool-sam": return setTool("sam");
      case "tool-brush": return setTool("brush");
      case "tool-eraser": return setTool("eraser");
      case "tool-select": return setTool("select");
      case "next-candidate":
      case "previous-candidate":
        dispatch({ type: "cycle", step: cmd === "next-candidate" ? 1 : -1 });
        void renderDraft();
        return;
      case "undo":
      case "redo":
        dispatch({ type: cmd });
        void renderDraft();
        return;
      case "save": void save(); return;
      case "discard": void discard(); return;
      case "delete-mask": void deleteSelected(); return;
      case "fill-holes":
        if (!hasShape(sessionRef.current.present)) return;
        dispatch({ type: "edit", edit: { kind: "fill" }, at: performance.now() });
        void renderDraft();
        return;
      case "brush-bigger": setBrush((b) => Math.min(200, Math.round(b * 1.25) + 1)); return;
      case "brush-smaller": setBrush((b) => Math.max(1, Math.round(b / 1.25))); return;
      case "zoom-in":
      case "zoom-out": {
        const [cx, cy] = canvasCenter();
        viewRef.current = zoomAt(viewRef.current, cmd === "zoom-in" ? 1.25 : 0.8, cx, cy);
        scheduleDraw();
        return;
      }
      case "fit": {
        const c = canvasRef.current!;
        viewRef.current = fitView(image, { width: c.clientWidth, height: c.clientHeight });
        scheduleDraw();
        return;
      }
      case "toggle-others": setShowOthers((v) => !v); scheduleDraw(); return;
      case "toggle-hover":
        setHoverOn((v) => !v);
        layers.current.hover = null;
        scheduleDraw();
        return;
      case "help": setHelp((v) => !v); return;
      case "next-image":
      case "previous-image": {
        const target = cmd === "next-image" ? props.neighbors.next[0] : props.neighbors.previous;
        if (!target) return;
        if (hasShape(sessionRef.current.present) && !window.confirm("Leave this image without saving the mask?")) return;
        router.push(`/projects/${projectId}/annotate/${target.id}${window.location.search}`);
        return;
      }
    }
  }, [deleteSelected, discard, dispatch, image, labels, projectId, props.neighbors, renderDraft, router, save, scheduleDraw, setTool]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const t = e.target as HTMLElement | null;
      if (t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT")) return;
      if (e.key === " ") {
        spaceDown.current = e.type === "keydown";
        if (e.type === "keydown") e.preventDefault();
        return;
      }
      if (e.type !== "keydown") return;
      const cmd = commandFor(e);
      if (!cmd) return;
      e.preventDefault();
      runCommand(cmd);
    };
    window.addEventListener("keydown", onKey);
    window.addEventListener("keyup", onKey);
    return () => {
      window.removeEventListener("keydown", onKey);
      window.removeEventListener("keyup", onKey);
    };
  }, [runCommand]);

  useEffect(() => scheduleDraw(), [showOthers, scheduleDraw]);

  // ---- pointer input ---------------------------------------------------------------------------------------
  const gesture = useRef<{ kind: "pan" | "press" | "box" | "stroke"; sx: number; sy: number; ix: number; iy: number; button: number; shift: boolean; pointerId: number } | null>(null);

  const local = (e: ReactPointerEvent<HTMLCanvasElement>) => {
    const rect = e.currentTarget.getBoundingClientRect();
    const sx = e.clientX - rect.left;
    const sy = e.clientY - rect.top;
    const [ix, iy] = toImage(viewRef.current, sx, sy);
    return { sx, sy, ix, iy };
  };

  const clampToImage = (x: number, y: number): [number, number] => [Math.min(Math.max(x, 0), image.width - 1), Math.min(Math.max(y, 0), image.height - 1)];

  const onPointerDown = (e: ReactPointerEvent<HTMLCanvasElement>) => {
    if (phase.kind !== "ready") return;
    const p = local(e);
    e.currentTarget.setPointerCapture(e.pointerId);
    const pan = e.button === 1 || spaceDown.current;
    const t = toolRef.current;
    const kind = pan ? "pan" : t === "brush" || t === "eraser" ? "stroke" : "press";
    gesture.current = { kind, ...p, button: e.button, shift: e.shiftKey || e.altKey, pointerId: e.pointerId };
    if (kind === "stroke") {
      overlay.current.stroke = { points: [[p.ix, p.iy]], radius: brush / viewRef.current.scale, erase: t === "eraser" };
      scheduleDraw();
    }
  };

  const onPointerMove = (e: ReactPointerEvent<HTMLCanvasElement>) => {
    const p = local(e);
    const g = gesture.current;
    const t = toolRef.current;
    if (t === "brush" || t === "eraser") overlay.current.pen = { x: p.ix, y: p.iy, radius: brush / viewRef.current.scale };
    if (!g) {
      if (t === "sam" && optsRef.current.hoverOn && phase.kind === "ready" && p.ix >= 0 && p.iy >= 0 && p.ix < image.width && p.iy < image.height) void hoverPreview(p.ix, p.iy);
      scheduleDraw();
      return;
    }
    if (g.kind === "pan") {
      viewRef.current = panBy(viewRef.current, p.sx - g.sx, p.sy - g.sy);
      g.sx = p.sx;
      g.sy = p.sy;
    } else if (g.kind === "stroke") {
      overlay.current.stroke?.points.push([p.ix, p.iy]);
    } else if (t === "sam" && g.button === 0 && (g.kind === "box" || Math.hypot(p.sx - g.sx, p.sy - g.sy) > DRAG_THRESHOLD_PX)) {
      g.kind = "box";
      const [x0, y0] = clampToImage(g.ix, g.iy);
      const [x1, y1] = clampToImage(p.ix, p.iy);
      overlay.current.dragBox = [x0, y0, x1, y1];
    }
    scheduleDraw();
  };

  const onPointerUp = (e: ReactPointerEvent<HTMLCanvasElement>) => {
    const g = gesture.current;
    gesture.current = null;
    if (!g || g.pointerId !== e.pointerId) return;
    const at = performance.now();
    const p = local(e);
    const t = toolRef.current;
    if (g.kind === "stroke") {
      const stroke = overlay.current.stroke;
      overlay.current.stroke = null;
      if (stroke) {
        const edit: Edit = { kind: stroke.erase ? "erase" : "brush", radius: stroke.radius, points: stroke.points };
        dispatch({ type: "edit", edit, at });
        void renderDraft();
      }
      return;
    }
    if (g.kind === "box") {
      const box = overlay.current.dragBox;
      overlay.current.dragBox = null;
      if (box && Math.abs(box[2] - box[0]) >= 1 && Math.abs(box[3] - box[1]) >= 1) {
        dispatch({ type: "box", box, at });
        void runPrompt(at);
      }
      scheduleDraw();
      return;
    }
    if (g.kind !== "press") return;
    if (p.ix < 0 || p.iy < 0 || p.ix >= image.width || p.iy >= image.height) return;
    if (t === "select") {
      void (async () => {
        const hit = await clientRef.current?.call("hitTest", { x: p.ix, y: p.iy, exclude: [] });
        if (hit?.maskId) await openMask(hit.maskId);
      })();
      return;
    }
    if (t === "sam") {
      const label = g.button === 2 || g.shift ? 0 : 1;
      dispatch({ type: "point", point: { x: p.ix, y: p.iy, label }, at });
      void runPrompt(at);
    }
  };

  const onPointerLeave = () => {
    overlay.current.pen = null;
    if (layers.current.hover) {
      layers.current.hover = null;
    }
    scheduleDraw();
  };

  const s = sessionRef.current;
  return (
    <div className={styles.root} data-testid="annotator" data-phase={phase.kind}>
      <div className={styles.tools} role="toolbar" aria-label="Tools">
        {(["sam", "brush", "eraser", "select"] as const).map((t) => (
          <button key={t} type="button" aria-pressed={tool === t} onClick={() => setTool(t)} title={{ sam: "SAM points and box (A)", brush: "Brush (B)", eraser: "Eraser (E)", select: "Select a mask (V)" }[t]}>
            {{ sam: "SAM", brush: "Brush", eraser: "Erase", select: "Select" }[t]}
          </button>
        ))}
        <button type="button" className="secondary" onClick={() => runCommand("undo")} disabled={s.past.length === 0} title="Undo (Ctrl+Z)">Undo</button>
        <button type="button" className="secondary" onClick={() => runCommand("redo")} disabled={s.future.length === 0} title="Redo (Ctrl+Shift+Z)">Redo</button>
        <button type="button" className="secondary" onClick={() => runCommand("fill-holes")} title="Fill holes (F)">Fill</button>
        <button type="button" className="secondary" onClick={() => runCommand("zoom-in")} title="Zoom in (+)">+</button>
        <button type="button" className="secondary" onClick={() => runCommand("zoom-out")} title="Zoom out (-)">−</button>
        <button type="button" className="secondary" onClick={() => runCommand("fit")} title="Fit (0)">Fit</button>
        <button type="button" className="secondary" onClick={() => setHelp(true)} title="Keyboard shortcuts (?)">?</button>
      </div>
      <div className={styles.stage}>
        <canvas
          ref={canvasRef}
          data-testid="annotator-canvas"
          style={{ cursor: tool === "sam" ? "crosshair" : tool === "select" ? "pointer" : "none" }}
          onPointerDown={onPointerDown}
          onPointerMove={onPointerMove}
          onPointerUp={onPointerUp}
          onPointerCancel={() => { gesture.current = null; overlay.current.dragBox = null; overlay.current.stroke = null; scheduleDraw(); }}
          onPointerLeave={onPointerLeave}
          onContextMenu={(e) => e.preventDefault()}
        />
        <div className={styles.status} data-testid="annotator-status" role="status">
          {phase.kind === "loading" && <>{phase.message}{phase.progress ? ` (${phase.progress}%)` : ""}</>}
          {phase.kind === "error" && <span>Cannot annotate: {phase.message}</span>}
          {phase.kind === "ready" && (
            <>
              {tool === "sam" ? "Click an object (right click: background), drag a box" : tool === "select" ? "Click a mask to edit it" : `${tool === "brush" ? "Brush" : "Eraser"} ${brush}px`}
              {present.result && ` · IoU ${present.result.scores[present.result.index]?.toFixed(2)}`}
            </>
          )}
        </div>
      </div>
      <SidePanel
        labels={labels}
        allLabels={allLabels}
        masks={masks}
        draft={present}
        clicks={s.clicks}
        startedAt={s.startedAt}
        saving={saving}
        stage={stage}
        notice={notice}
        onLabel={(id) => { dispatch({ type: "label", labelClassId: id }); void renderDraft(); }}
        onCandidate={(i) => { dispatch({ type: "choose", index: i }); void renderDraft(); }}
        onSave={() => void save()}
        onSaveAsNew={() => void saveAsNew()}
        onDiscard={() => void discard()}
        onDelete={() => void deleteSelected()}
        onOpenMask={(id) => void openMask(id)}
        signInHref={`/signin?callbackUrl=${encodeURIComponent(`/projects/${projectId}/annotate/${image.id}`)}`}
      />
      {help && <HelpOverlay onClose={() => setHelp(false)} />}
    </div>
  );
}
