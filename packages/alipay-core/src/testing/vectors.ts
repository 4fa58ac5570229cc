/**
 * Public test vectors from the protocol reference §2.6 (TEST-ONLY data).
 * A1–A3: Kaligo/alipay-global tests; A4–A5: alipay/alipay-sdk-nodejs-all tests;
 * B: self-computed vectors of the reference (MD5 key `760bdzec6y9goq7ctyx96ezkz78287de`).
 * The KAL private key below is published in that public repository; it is not a secret.
 */

/** KAL `keys/test_private_key.pem` (2048-bit PKCS#1). Public, test-only. */
export const KAL_TEST_PRIVATE_KEY_PEM = `-----BEGIN RSA PRIVATE KEY-----
MIIEpAIBAAKCAQEAxF1vOOysBibP9gquwCqjCigUBIGZpPsTiAyeGvt38NRwixPI
56wZgVvCMp02pVBWH7np99Qi91Axg1/A7j1z4MAqBru6XNPgn2LLIEv8xuSvJ0mI
YeB1MXZOttD2tsaNgFdU0LQsSz+HEicSfh5/1xJ5nCwQmJg/2AIGOL1igcAkqCct
cs4umwK9GFQ1FROsqz4OXUbjzByuCxmY9C5r4ALAycmjKhsy9luE1Pp9VEzT0jeJ
xfAH0vAPkGCqNv50swxJ6n+s98/ves/XmxXL3dIxAW/6RvmriNXwANsuwyn0DMsv
u1nFMZIxeCUvfwmrwkpGb5lHFBvW9pTbOCOMIwIDAQABAoIBACjRX0hO8idJNBtp
9w9dDY0T7a1OH1kLE/FI5iinszPthQNz9mQqAxc/squAwJY2j+CCbd8lSqtsEQ7E
/b7IKWlDqLjDlyaqqFuZVq38/at+Z+Zbw6zM0q+Ybx5Ta6Vsuoc+IBROD5MIvpQI
aTCsOFjFr1/GTSDbLRJCwXZT78EWiYMDnDscmvAQ/3A7c+2uQcMUAUMsPZ1gi0WY
2IdNetD9D2bwowYwoCJ82BKlciqxx2bL9ue3KnFea01pvQFisOjO69421C1baqV2
6ghT001ghrL80SvG7SNuArEGSqm+WeUC3/BoeK1/1BEsrgiXFVZZvvrMcQwWWetk
JOkJTskCgYEA6DfE2a44tdIN2spg4Wl5O/pRAA4cnpBsKCL/RYTaIXmHj5tDyqlO
oRrJuVQBesv2WDxTwaqRDA7Wbro3jtWObKHtXiiPNKw4bb2OpODdIlJXLLvRpXkq
PhiO1+0RaBX3TGyVs+JJvNWZVAj03IeMNfzjZq18fkLwDYw1PUqgNrcCgYEA2Hmv
B9Ee/SkFbheM6KYYBGNSCU6qxb0C6aaOFKrq8Ryml/3Li4Q+nFwzDiFQHPhM0m4e
mv5y/mMGR2jnkn/KwKYa3jTICp+F/ilkAop0k8yKcXrdVkb/Fb/lQw2pkqkLbKaG
/Ao20TS+hlWjAZfpvU2aVqS215PTyO6I4L9zSfUCgYEA5djtexi7ARycogbWxcaE
PR2Stx9ArKH+q+uYB9NrpN6Jk1b3Ts0uCsBdEpdXr5faiZOMw5B0aR72mDqxaytu
AZB1RlGXDWe5osWRPxljR+mAZ8Kvy72WVkgwewEnzYKQeJCxzI8atVImpcsHspBn
87gPzT3Cj6bpvD8fIz+OPRkCgYAdMINGdY9NKavexXQtpr/UT6QvNxlV4n+zC89a
wBU//9IC6qj4nhNnOBN2U02fKmgJc+nSkn7lCGs/U8jt+ydWxM8YqVtT+2Cw/dnL
cen4R/tfA+c2jAo3X5HFceEssnik5OuMrr/ng8oxCPka7OYKrZ0jE8DH3toO3QM9
8vLTxQKBgQDTQSlorlACRywudw2KE4Li7yRM9CodwBnIJPGze8N+54f3uxxc39AZ
9jT6UeK/vaiuD9VrPxF5Ze4/ZPaHctMy5O2uD4m+zPTBQo/uUGBg4m++i8b3PWfx
e8OjaXP26YiACWG/RRan8R0ZRPy8M/zLgFJUMiNrSrxchUrVXoiM4w==
-----END RSA PRIVATE KEY-----
`;

export const KAL_MD5_KEY = "760bdzec6y9goq7ctyx96ezkz78287de";

/** A1: MD5 over the string as given (not sorted). */
export const VECTOR_A1 = {
  content:
    "_input_charset=gbk&out_trade_no=6741334835157966&partner=2088101568338364&payment_type=1&return_url=http://www.test.com/alipay/return_url.asp&currency=USD&service=create_forex_trade&subject=a book&bodu=nice book&total_fee=100",
  md5: "db017da14ac139afef3bb7357bb284b2",
  /** A3: SHA256withRSA of the same string with KAL_TEST_PRIVATE_KEY_PEM. */
  rsa2: "i6GcANd+q8dTGY5kif3ClSqQbysmvPwf+gFowbB+ukKLKdcd4dlEUAWKlirKBviHoJwydMkUwavi5XvUieU6582UdqrlZgz1UlRSgL5NHSv7DWckhnYL7IKL2sTHb5derwrhjcJD/diYSnAMA0K+sRwVZ6Rs4fvQH3NN7sY4x0rb5W54QkPeCLqI+MzTggrcfqme2Grx19jOXSigETGWAm74CoI2lztlNgEjBpuqTmXHaBz1J968XI9hVBj2mGnHU4EXj5hPSY/bFK2gVItOQ3w5RbTQCgjdpBYkM1LwTOlcu1/BlmWuUh82NGEK/qBrmne6z/W4GnG+6sqoAERA4g==",
} as const;

/** A2: MD5 notification (KAL `test/sign_test.rb`). */
export const VECTOR_A2 = {
  params: {
    notify_id: "13f1e773aeb299e26eb5d02bbb71219d50",
    notify_type: "trade_status_sync",
    trade_no: "4061800001000100000574688",
    total_fee: "0.10",
    out_trade_no: "4028608899131221",
    currency: "HKD",
    notify_time: "2013-09-02 10:41:43",
    trade_status: "TRADE_FINISHED",
    _input_charset: "utf-8",
    sign_type: "MD5",
    sign: "a27572b0a6dee50d2d4a1449bfd55e92",
  },
  preSign:
    "_input_charset=utf-8&currency=HKD&notify_id=13f1e773aeb299e26eb5d02bbb71219d50&notify_time=2013-09-02 10:41:43&notify_type=trade_status_sync&out_trade_no=4028608899131221&total_fee=0.10&trade_no=4061800001000100000574688&trade_status=TRADE_FINISHED",
} as const;

/** A4: OpenAPI RSA2 async notification (V1 rule: sign and sign_type excluded). */
export const VECTOR_A4 = {
  publicKeyBase64:
    "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAqObrdC7hrgAVM98tK0nv3hSQRGGKT4lBsQjHiGjeYZjOPIPHR5knm2jnnz/YGIXIofVHkA/tAlBAd5DrY7YpvI4tP5EONLtZKC2ghBMx7McI2wRD0xiqzxOQr1FuhZGJ8/AUokBzJrzY+aGX2xcOrxFYRlFilvVLTXg4LWjR1tdPkO6+i7wQZAIVMClPkwVRZEbaERRHlKqTzv2gGv5rDU8gRoe1LeaN+6BlbTqHWkQcNCUNrA8C6l17XAXGKDsm/9TFWwO8EPHHHCaQdjtV5/FdcWIt+L8SR1ss7EXTjYDFtxcKVv9rEoY1lX8T4mX+GbXfZHraG5NCF1+XioL5JwIDAQAB",
  params: {
    gmt_create: "2019-08-15 15:56:22",
    charset: "utf-8",
    seller_email: "z97-yuquerevenue@service.aliyun.com",
    subject: "语雀空间 500人规模",
    sign: "QfTb8tqE1BMhS5qAnXtvsF3/jBkEvu9q9en0pdbBUDDjvKycZhQb7h8GDs4FKfi049PynaNuatxSgLb/nLWZpXyyh0LEWdK2S6Ri7nPwrVgOs08zugLO20vOQz44y3ti2Ncm8/wZts1Fr2gZ7pShnVX3d1B50hbsXnObT1r/U8ONNQjWXd0HIul4TG+Q3fm3svmSvFEy0WnzuhcyHPX5Gm4ELNctL6Qd5YniGJFNcc7kopHYtI/XD9YCKCH6Ct02rzUs9i11C9CsadtZn+WhxF26Dqt9sGEFajkJ8cxUTLi8+VCpLHsgPE8P0y095uQcDdK0YjCh4x7wVSov+lrmOQ==",
    buyer_id: "2088102534368455",
    invoice_amount: "0.10",
    notify_id: "2019081500222155624068450559358070",
    fund_bill_list: '[{"amount":"0.10","fundChannel":"ALIPAYACCOUNT"}]',
    notify_type: "trade_status_sync",
    trade_status: "TRADE_SUCCESS",
    receipt_amount: "0.10",
    buyer_pay_amount: "0.10",
    sign_type: "RSA2",
    app_id: "2019073166072302",
    seller_id: "2088531891668739",
    gmt_payment: "2019-08-15 15:56:24",
    notify_time: "2019-08-15 15:56:25",
    version: "1.0",
    out_trade_no: "20190815155618536-564-57",
    total_amount: "0.10",
    trade_no: "2019081522001468450512505578",
    auth_app_id: "2019073166072302",
    buyer_logon_id: "xud***@126.com",
    point_amount: "0.00",
  },
} as const;

/** A5: OpenAPI RSA2 sync response; signed bytes = raw `alipay_open_file_upload_response` value. */
export const VECTOR_A5 = {
  publicKeyPem: `-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAk7LzhmMa2c4qQd4fqAqenfbuFoA7stPKvoS1LrZEsVnOOGUUjwoa1oU9xsSPjcOWhIerU/VAN4J95GIAXx59ipcleIyfLn2FhHXPgLJpvo+b2jJFyn/1/DbeJDh+0yDVAOf50Z7HhI0mdUhFMkXlT7BU0ZMtJf/TmISFEfhDU/w6qFd6D42L97byAkq0K6LroglSVF24GqJEa7hSeUIkZWj7RasykXrc2uVJ1+ejkXE0LyPxa2AHykMGbJLf5SiZvaNzUZgnKIR36mLOHpQ/2JCXxhXZYUWHzy0kMH54JcUEeksFWBYLGvLjV1phbcUIc3Q76tIuqApY6E222OoZZQIDAQAB
-----END PUBLIC KEY-----`,
  method: "alipay.open.file.upload",
  body: '{"alipay_open_file_upload_response":{"code":"10000","msg":"Success","file_id":"CAxAToWB1JsAAAAAAAAAAAAADgSLAQBr"},"sign":"F+LDzpTNiavn7xVZPGuPCSSVRSmWzJGgtuji6tVELGEaqMaNj0jRKXUEr5nloZJBBmwEnddOyCjjepMmrTKTvoOqQ0Efxpr/R1iEeHTHVbb/Q8TTh6Up5gHJDkILdaWS2q1cWeQ6VT+HQY9P3WRXS7uhILHuDODIhpAyCu5KhWGt0rMCIG+Im6NODJP2oohtSCtmTFXg58HH587Z2y2bdbjzOxLvzD9IrU1imghXQ2S/Q+wMIvRk9on6cWnBLkrNvJKapA2ReNGWOwyuASvB9zDVzhMPbR+3mfRGkVDxsq5HYLjBKGskJMXHw0HuugZij6ScRuaLPODhmHwr/pJ9yw=="}',
  signedContent: '{"code":"10000","msg":"Success","file_id":"CAxAToWB1JsAAAAAAAAAAAAADgSLAQBr"}',
} as const;

const EXTEND_INFO_B =
  '{"secondary_merchant_id":"S001","secondary_merchant_name":"Mika Coffee","secondary_merchant_industry":"5812","store_id":"ST01","store_name":"Mika Coffee Central","terminal_id":"T01"}';

/** B: self-computed MAPI vectors (reference §2.6 B). Params → pre-sign → MD5. */
export const VECTORS_B = {
  spotPayRequest: {
    params: {
      service: "alipay.acquire.overseas.spot.pay",
      partner: "2088101122136241",
      _input_charset: "UTF-8",
      alipay_seller_id: "2088101122136241",
      quantity: "1",
      trans_name: "Coffee",
      partner_trans_id: "TEST20240101120000001",
      currency: "USD",
      trans_amount: "0.01",
      buyer_identity_code: "281234567890123456",
      identity_code_type: "barcode",
      trans_create_time: "20240101120000",
      biz_product: "OVERSEAS_MBARCODE_PAY",
      extend_info: EXTEND_INFO_B,
      memo: "",
      sign_type: "MD5",
    },
    preSign: `_input_charset=UTF-8&alipay_seller_id=2088101122136241&biz_product=OVERSEAS_MBARCODE_PAY&buyer_identity_code=281234567890123456&currency=USD&extend_info=${EXTEND_INFO_B}&identity_code_type=barcode&partner=2088101122136241&partner_trans_id=TEST20240101120000001&quantity=1&service=alipay.acquire.overseas.spot.pay&trans_amount=0.01&trans_create_time=20240101120000&trans_name=Coffee`,
    md5: "a035a5769533867562f3e2afa27b322a",
    rsa2: "eX5+nXXgSw/a8TKOTxbBIgVpHsWpD6bqi5xwobU11x4lywAEkoaV8EC089mosqz6H8Q7e57DDWd+Q9Webe+aWE/zjulmnoK7JcHPEEDp1l2UgC8JcgeKGZtyYEFzK9RLnYPit/rDK88KgwlVxOENkK94nJcOA0mvk8+SpsZV5jdmf3vjMfSi7lltBkZw6wsGQeKzExZulcmmucw44jcMmr02zDuWjAWIIdCSIOgbMBQa7JFH1+z9c07JxfV9FclhRuMEqaku8XAXydK8Gy/qovmQiHzmIK8KJ2qo639vROa5TqnMDJtXyxAczKwsj80X+myp9/7fzYV6qT7rVa9UGQ==",
    rsa: "Gwwm0bZtdCJCx+ULiiHAIvvdUoRq98hPawTUjdcRCBwToDN59uOMzobtPm4goXv1789SzDHobiyfNbF2xVwMoP+kMXJzxGsglDW0F7SesW/3TQuMgA0r1kSLTNF3m9rViZ4/rzAlUKyrsC1vzueKqx5oL4XS0jn0VkHTMEUSPHAAgCQGad1ISSai4V0w8gzM7m9pDnqIxvHrkhJmftWoAcRsphVdFibcegNguhzLsDw/dEoqOG0p6sH2QVHDLB3EUNMxNR+ooFpONthVj45j+03lY3qZlyk15QqNmpO4GymnGb5ppTCHvL78rylGQPqZjZMGsLrYAoS5DVISMLip5w==",
  },
  spotPayResponse: {
    preSign:
      "alipay_buyer_login_id=135***1234&alipay_buyer_user_id=2088102122524333&alipay_pay_time=20240101120003&alipay_trans_id=2024010122001424330500011111&currency=USD&exchange_rate=7.12340000&partner_trans_id=TEST20240101120000001&result_code=SUCCESS&trans_amount=0.01&trans_amount_cny=0.07",
    md5: "f60ededfe47e1da79cb45165ee98d569",
  },
  queryRequest: {
    preSign:
      "_input_charset=UTF-8&partner=2088101122136241&partner_trans_id=TEST20240101120000001&service=alipay.acquire.overseas.query",
    md5: "9247a48e7694fdbdca558d8dc968c274",
  },
  queryResponse: {
    preSign:
      "alipay_buyer_login_id=135***1234&alipay_buyer_user_id=2088102122524333&alipay_pay_time=20240101120003&alipay_trans_id=2024010122001424330500011111&alipay_trans_status=TRADE_SUCCESS&currency=USD&exchange_rate=7.12340000&out_trade_no=TEST20240101120000001&partner_trans_id=TEST20240101120000001&result_code=SUCCESS&trans_amount=0.01&trans_amount_cny=0.07",
    md5: "aa60750259ddaab05571ee313d66e032",
  },
  cancelRequest: {
    preSign:
      "_input_charset=UTF-8&out_trade_no=TEST20240101120000001&partner=2088101122136241&service=alipay.acquire.cancel&timestamp=1704081630123",
    md5: "98bf45eaccd61b6dd6ef2cd29ff1bc36",
  },
  cancelResponse: {
    preSign:
      "out_trade_no=TEST20240101120000001&result_code=SUCCESS&retry_flag=N&trade_no=2024010122001424330500011111",
    md5: "e7be937a437997794138852569f8828a",
  },
  refundRequest: {
    preSign:
      "_input_charset=UTF-8&currency=USD&is_sync=Y&partner=2088101122136241&partner_refund_id=TEST20240101120000001R1&partner_trans_id=TEST20240101120000001&refund_amount=0.01&refund_reason=customer request&service=alipay.acquire.overseas.spot.refund",
    md5: "32c6d5c175ec802c0f5be7c5404fb972",
  },
  refundResponse: {
    preSign:
      "alipay_trans_id=2024010122001424330500011111&currency=USD&exchange_rate=7.12340000&partner_refund_id=TEST20240101120000001R1&partner_trans_id=TEST20240101120000001&refund_amount=0.01&refund_amount_cny=0.07&result_code=SUCCESS",
    md5: "b0926aa5376fbe9776c7aecde0c7fe84",
  },
  utf8Charset: {
    preSign:
      "_input_charset=UTF-8&partner=2088101122136241&partner_trans_id=咖啡-1&service=alipay.acquire.overseas.query",
    md5: "29cf48fb93b61d3390c370d0e8cefdd5",
  },
} as const;
