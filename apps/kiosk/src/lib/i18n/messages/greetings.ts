/**
 * The few messages a screen may show in all five languages at once (the attract screen's
 * greetings, the language screen's title, the out-of-service notice). They ship with the page;
 * each locale's full catalogue (which spreads its part of this) is loaded on demand (translate.ts).
 */
export const GREETINGS = {
  en: {
    "attract.headline": "Buy your tickets here",
    "attract.subline": "Pay with Alipay · Tickets print right away",
    "attract.touch": "Touch anywhere to start",
    "attract.start": "Start",
    "language.title": "Choose your language",
    "oos.title": "Sorry, this kiosk is out of service",
    "oos.body": "Please buy your tickets at the ticket office or use another kiosk.",
  },
  "zh-Hans": {
    "attract.headline": "在此购买门票",
    "attract.subline": "支付宝付款 · 即时出票",
    "attract.touch": "轻触屏幕任意处开始",
    "attract.start": "开始",
    "language.title": "请选择语言",
    "oos.title": "抱歉，此售票机暂停服务",
    "oos.body": "请到售票处购票，或使用其他售票机。",
  },
  "zh-Hant": {
    "attract.headline": "在此購買門票",
    "attract.subline": "支付寶付款 · 即時出票",
    "attract.touch": "輕觸螢幕任意處開始",
    "attract.start": "開始",
    "language.title": "請選擇語言",
    "oos.title": "抱歉，此售票機暫停服務",
    "oos.body": "請至售票處購票，或使用其他售票機。",
  },
  ja: {
    "attract.headline": "チケットはこちらで",
    "attract.subline": "Alipayでお支払い · その場で発券",
    "attract.touch": "画面のどこかをタッチして開始",
    "attract.start": "開始",
    "language.title": "言語を選択してください",
    "oos.title": "申し訳ありません。この券売機は現在ご利用いただけません",
    "oos.body": "チケット売り場か、ほかの券売機をご利用ください。",
  },
  ko: {
    "attract.headline": "여기에서 티켓을 구매하세요",
    "attract.subline": "Alipay로 결제 · 즉시 발권",
    "attract.touch": "화면 아무 곳이나 터치하여 시작",
    "attract.start": "시작",
    "language.title": "언어를 선택하세요",
    "oos.title": "죄송합니다. 이 키오스크는 현재 이용할 수 없습니다",
    "oos.body": "매표소나 다른 키오스크를 이용해 주세요.",
  },
} as const;
