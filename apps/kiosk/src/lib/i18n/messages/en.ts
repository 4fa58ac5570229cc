/**
 * English: the source of every message key. Other locales must define exactly these keys
 * with the same placeholders (checked by i18n.test.ts and by the `Messages` type).
 * Placeholders: `{name}`; plurals: `{count, plural, one {# ticket} other {# tickets}}`.
 */
import { GREETINGS } from "./greetings.ts";

export const en = {
  ...GREETINGS.en,
  "app.title": "Ticket kiosk",
  "common.back": "Back",
  "common.cancel": "Cancel",
  "common.continue": "Continue",
  "common.startOver": "Start over",
  "common.tryAgain": "Try again",
  "common.total": "Total",
  "common.loading": "Loading…",
  "common.seconds": "{count, plural, one {# second} other {# seconds}}",
  "common.stepOf": "Step {step} of {total}",
  "common.notCharged": "You have not been charged.",

  "a11y.toolbar": "Display and language options",
  "a11y.largerText": "Larger text",
  "a11y.highContrast": "High contrast",
  "a11y.language": "Language",
  "a11y.helpHint": "Need help? Ask a member of staff.",

  "steps.tickets": "Tickets",
  "steps.review": "Review",
  "steps.pay": "Pay",
  "steps.print": "Print",

  "boot.title": "Getting the kiosk ready…",

  "setup.title": "Set up this kiosk",
  "setup.body": "Enter the pairing code shown in the staff console. Visitors cannot use the kiosk until it is paired.",
  "setup.codeLabel": "Pairing code",
  "setup.submit": "Pair kiosk",
  "setup.pairing": "Pairing…",
  "setup.failed": "That code did not work. Ask staff for a new pairing code.",

  "language.subtitle": "You can change it at any time with the language button at the top.",

  "tickets.title": "Choose your tickets",
  "tickets.dateHeading": "Visit date",
  "tickets.today": "Today",
  "tickets.tomorrow": "Tomorrow",
  "tickets.timeHeading": "Entry time",
  "tickets.timeHint": "Timed tickets let you in during the time you choose.",
  "tickets.noTimes": "There are no more entry times on this day. Please choose another date.",
  "tickets.typesHeading": "Tickets",
  "tickets.validAllDay": "Valid all day",
  "tickets.validAtTime": "Valid for the entry time you choose",
  "tickets.chooseTimeFirst": "Choose an entry time first",
  "tickets.placesLeft": "{count, plural, one {# place left} other {# places left}}",
  "tickets.soldOut": "Sold out",
  "tickets.fewLeft": "Few left",
  "tickets.add": "Add one {name}",
  "tickets.remove": "Remove one {name}",
  "tickets.quantity": "{name}: {count, plural, one {# ticket} other {# tickets}}",
  "tickets.maxReached": "You can buy up to {max} tickets at a time.",
  "tickets.notEnough": "Not enough places are left for your choice. Please choose another time or fewer tickets.",
  "tickets.selected": "{count, plural, one {# ticket} other {# tickets}} selected",
  "tickets.nothingSelected": "Choose at least one ticket",
  "tickets.loadFailed": "The tickets could not be loaded. Please try again.",
  "tickets.each": "each",

  "summary.title": "Check your order",
  "summary.lineQty": "{count} × {name}",
  "summary.heldFor": "Your places are held for {time}",
  "summary.pay": "Pay with Alipay",
  "summary.change": "Change tickets",
  "summary.creating": "Reserving your places…",
  "summary.holdExpired": "Your places were released because time ran out. Please choose again.",

  "scan.title": "Scan your Alipay payment code",
  "scan.amount": "Amount to pay",
  "scan.step1": "Open Alipay on your phone and tap “Pay”.",
  "scan.step2": "Hold the barcode face-down over the scanner window, about 10 cm above it.",
  "scan.step3": "Keep the phone still until you hear a beep.",
  "scan.illustration":
    "Illustration: hold your phone with the payment barcode facing down, over the glowing scanner window below the screen.",
  "scan.ready": "Scanner ready",
  "scan.notReady": "Preparing the scanner…",
  "scan.starting": "Code received. Starting the payment…",
  "scan.invalidCode": "That did not look like an Alipay payment code. Open “Pay” in Alipay and scan again.",

  "paying.title": "Processing your payment…",
  "paying.body": "Please keep your phone nearby.",
  "paying.confirmTitle": "Confirm the payment on your phone",
  "paying.confirmBody": "Alipay is asking you to confirm. Enter your payment password or PIN in the Alipay app.",
  "paying.timeLeft": "Time left to confirm: {time}",
  "paying.cancel": "Cancel payment",
  "paying.cancellingTitle": "Cancelling your payment…",
  "paying.cancellingBody": "Please wait a moment and do not scan again. You will not be charged.",
  "paying.amount": "Amount",

  "success.title": "Payment received. Thank you!",
  "success.printing": "Printing your tickets… {done} of {total}",
  "success.takeTickets": "Please take your tickets from the slot below the screen.",
  "success.ticketLabel": "Ticket {index}",
  "success.statusQueued": "Waiting",
  "success.statusPrinting": "Printing",
  "success.statusPrinted": "Printed",
  "success.statusFailed": "Not printed",
  "success.receipt": "Receipt",

  "printFail.title": "Some tickets could not be printed",
  "printFail.body":
    "Don’t worry: your tickets are paid and valid. Show these QR codes at the entrance, or take a photo of them.",
  "printFail.help": "For a printed copy, go to the ticket office and show this screen or your order number: {orderNo}.",
  "printFail.qrLabel": "QR code of ticket {index}: {name}",
  "printFail.done": "I have my codes",

  "done.title": "Enjoy your visit!",
  "done.body": "Don’t forget your tickets and receipt.",
  "done.returning": "This screen will restart in {seconds}.",
  "done.finish": "Finish",

  "failure.code_expired.title": "Your payment code has expired",
  "failure.code_expired.body":
    "Payment codes change every minute. Refresh the code in Alipay (tap “Pay” again), then scan the new code.",
  "failure.insufficient_balance.title": "Not enough balance",
  "failure.insufficient_balance.body":
    "Alipay declined the payment. Top up your balance or choose another payment method in Alipay, then try again.",
  "failure.cancelled.title": "Payment cancelled",
  "failure.cancelled.body": "The payment was cancelled.",
  "failure.timed_out.title": "The payment timed out",
  "failure.timed_out.body": "We did not receive a confirmation from Alipay in time, so the payment was stopped.",
  "failure.declined.title": "The payment was not completed",
  "failure.declined.body": "The payment was declined or stopped in Alipay.",
  "failure.hold_expired.title": "Your places were released",
  "failure.hold_expired.body": "The time to pay ran out. Please choose your tickets again.",
  "failure.needs_attention.title": "We need to check this payment",
  "failure.needs_attention.body":
    "Please ask a member of staff for help and show them this reference: {reference}. Do not pay again.",
  "failure.error.title": "Something went wrong",
  "failure.error.body": "The payment did not go through. Please try again, or ask a member of staff.",

  "idle.title": "Are you still there?",
  "idle.body": "For your privacy, we will start over in {seconds}.",
  "idle.stay": "I need more time",
  "idle.reset": "Start over",

  "print.labelPrice": "Price",
  "print.labelOrderNo": "Order no.",
  "print.labelTradeNo": "Alipay trade no.",
  "print.labelWallet": "Paid with",
  "print.labelIssuedAt": "Issued",
  "print.ticketFooter": "Show this ticket at the entrance. Each code is valid for one entry.",
  "print.receiptTitle": "Receipt",
  "print.receiptFooter": "Thank you for your visit.",

  "oos.recover": "This screen will come back by itself as soon as the kiosk is ready.",
  "oos.reason": "Reason: {reason}",
  "oos.reason.server_unreachable": "cannot reach the ticket system",
  "oos.reason.bridge_unreachable": "the device service is not running",
  "oos.reason.scanner_disconnected": "the scanner is not connected",
  "oos.reason.printer_offline": "the printer is offline",
  "oos.reason.paper_out": "the printer is out of paper",
  "oos.reason.printer_cover_open": "the printer cover is open",
  "oos.reason.printer_error": "the printer reported an error",
  "oos.reason.taken_out_of_service": "closed by staff",
  "oos.reason.offline": "the network is down",
} as const;

export type MessageKey = keyof typeof en;
export type Messages = Readonly<Record<MessageKey, string>>;
