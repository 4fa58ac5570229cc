"use client";
/**
 * Reads the visitor's payment code with the device camera: the browser's BarcodeDetector
 * where it has one (Chrome on Android, ChromeOS, macOS), otherwise ZXing (@zxing/browser,
 * pure JavaScript, bundled, so it works offline). Both read Code 128 and QR, the two forms
 * the Alipay app shows. Stops the camera as soon as a code is read or the panel closes.
 */
import { useEffect, useRef, useState } from "react";

interface DetectedBarcode {
  rawValue: string;
}
interface BarcodeDetectorLike {
  detect(source: HTMLVideoElement): Promise<DetectedBarcode[]>;
}
type BarcodeDetectorCtor = (new (opts: { formats: string[] }) => BarcodeDetectorLike) & {
  getSupportedFormats?: () => Promise<string[]>;
};

const FORMATS = ["code_128", "qr_code"];
const DETECT_INTERVAL_MS = 200;

async function nativeDetector(): Promise<BarcodeDetectorLike | null> {
  const Ctor = (globalThis as { BarcodeDetector?: BarcodeDetectorCtor }).BarcodeDetector;
  if (!Ctor) return null;
  try {
    const supported = (await Ctor.getSupportedFormats?.()) ?? FORMATS;
    const formats = FORMATS.filter((f) => supported.includes(f));
    return formats.length > 0 ? new Ctor({ formats }) : null;
  } catch {
    return null;
  }
}

export function CameraScanner({ onCode, onClose }: { onCode: (code: string) => void; onClose: () => void }) {
  const video = useRef<HTMLVideoElement>(null);
  const [status, setStatus] = useState("Starting the camera…");
  const [engine, setEngine] = useState<string | null>(null);
  const latest = useRef(onCode);
  latest.current = onCode;

  useEffect(() => {
    let isActive = true;
    let stopAll: (() => void) | null = null;
    const found = (text: string) => {
      if (!isActive) return;
      isActive = false;
      stopAll?.();
      latest.current(text.trim());
    };
    const run = async () => {
      const el = video.current;
      if (!el) return;
      if (!navigator.mediaDevices?.getUserMedia) {
        setStatus("This browser has no camera access here (it needs HTTPS or localhost). Type the code instead.");
        return;
      }
      const constraints: MediaStreamConstraints = { video: { facingMode: { ideal: "environment" } }, audio: false };
      const detector = await nativeDetector();
      if (detector) {
        const stream = await navigator.mediaDevices.getUserMedia(constraints);
        el.srcObject = stream;
        await el.play();
        setEngine("BarcodeDetector");
        const timer = setInterval(() => {
          detector
            .detect(el)
            .then((codes) => {
              const first = codes[0];
              if (first) found(first.rawValue);
            })
            .catch(() => {});
        }, DETECT_INTERVAL_MS);
        stopAll = () => {
          clearInterval(timer);
          for (const t of stream.getTracks()) t.stop();
        };
      } else {
        const { BrowserMultiFormatReader } = await import("@zxing/browser");
        const reader = new BrowserMultiFormatReader();
        const controls = await reader.decodeFromConstraints(constraints, el, (result) => {
          if (result) found(result.getText());
        });
        setEngine("ZXing");
        stopAll = () => controls.stop();
      }
      if (!isActive) stopAll();
      else setStatus("Point the camera at the payment code in the visitor's Alipay app.");
    };
    run().catch((e: unknown) => {
      if (isActive)
        setStatus(`The camera could not start (${e instanceof Error ? e.message : String(e)}). Type the code instead.`);
    });
    return () => {
      isActive = false;
      stopAll?.();
    };
  }, []);

  return (
    <div className="grid gap-2 rounded border border-slate-300 bg-slate-50 p-2" data-testid="camera-scanner">
      <video
        ref={video}
        className="aspect-video w-full max-w-md rounded bg-black"
        muted
        playsInline
        aria-label="Camera preview"
      />
      <p role="status" className="text-sm">
        {status}
        {engine ? <span className="ml-1 text-xs text-slate-500">({engine})</span> : null}
      </p>
      <div>
        <button
          type="button"
          className="rounded border border-slate-400 px-2 py-1 text-sm hover:bg-slate-100"
          onClick={onClose}
        >
          Close camera
        </button>
      </div>
    </div>
  );
}
