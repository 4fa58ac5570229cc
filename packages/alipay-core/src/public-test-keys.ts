/**
 * The public test credentials, TEST-ONLY key material. Production code imports them only to
 * default a development/sandbox configuration and to refuse them for live Alipay (packages/api env.ts). Generated once with `generateRsaKeyPair()` for this repository's
 * tests, the sandbox gateway and benchmarks. These keys are public: NEVER use them with a
 * live Alipay account.
 */
import { pemToBase64 } from "./signing.ts";

/** Test partner id (MAPI `partner`, 16 digits starting 2088). */
export const TEST_PARTNER_ID = "2088101122136241";

/** Test OpenAPI app id. */
export const TEST_APP_ID = "2021000000000001";

/**
 * Test MD5 key: the public "test" key of Kaligo/alipay-global (reference §2.6), so the
 * reference's self-computed MD5 vectors apply.
 */
export const TEST_MD5_KEY = "760bdzec6y9goq7ctyx96ezkz78287de";

/** Merchant (application) private key, PKCS#8 PEM. The client signs requests with it. */
export const TEST_MERCHANT_PRIVATE_KEY_PEM =
  "-----BEGIN PRIVATE KEY-----\nMIIEvgIBADANBgkqhkiG9w0BAQEFAASCBKgwggSkAgEAAoIBAQC8c/+iXqIlQcZR\ni6Nl1y56fbRxw8fyATp15TvzqlDDmGz5tNMp2l3r30zwxew9bgUAUBMflHDEYg5V\n5dp1KrGN66nqWr6BPjHSfGWXXKKQTmsHFVUWYlfsWxdTcFQ2YfAqDQs8toaUe+Dv\n7QGSRrsO7No5rkMPQxp/gR+6w2Q9Lr9Me1jMZpGO20mjS2JJNvev9HmJimFu9Jr3\nzY6ArFVxntMpSPCNPvfP4KNWv6N2EWgX8ZPV+Nr/COK7j1dUmTAzbOQXZ6db/vll\njIZ+usd4hiOcfT5VZad6dK2j/xz4L6pGuuJY2eOOKjfRKfm06EZ6A4nR5x5yF0cJ\n+KiS9b47AgMBAAECggEAHSaOWPXte/jgLfX9KQAvmtf+BQkFUTx6aAk1DFyAkLjv\nxnJ/pX43QAizFJ1xDRGLKYC5bI2gIeiPEh9zeuNHQs484tj1lfVibI48grzcEplm\nudpFZqiAtDlk8s2x4RWmOkL5RYNwbuB4q3RMZW2WetkNapW3ntFA9I8rMs8Nnt7r\njNT2rsAxT7vAb/LiNA4HkZ79bJv1/oZ3Mx/uyWBqhroo2YoZT71oPG6vL83Gn755\np0tN663tfyJJKz9ebX2vXqkUNKcjLaCUwhOK8+cyT1E8GnR/9XA+ohnqotAATKue\nZ4sbCl68fkewBblGbc44fQhZh5eKkneSoaZt1D/NEQKBgQDxSd+phx47qI5KH6hi\nJJpJBrVCm6nm2neeOUpAKXChGaGdsZUlSHUHaPKOkO2fs0UMz6pSTB+1yGz9+rie\nSeYKC3VNPWi8fN/aCfE9UiaY0G3GFp3djqdIBlKyibyUWN7Q13kvVZrlexxJawEF\nUgmHE+s8zvjnYGQg7nBZ0to98QKBgQDH8XLTRpLXn/7WIem60CX0BtUM/pWggpKI\n64kHK64AP/tM4m85T85fHUHNv+ZIKFZQqCBWCBC/Xgi2ds8uMWWWsvJ0Jfw+tD+Z\nt1eiBwL19rsvQUvKVaGe6vIe8W9xYqxgSv5PZB8QVO8w5FC5UWQzffZ/mB9DtTus\n7S3w61MC6wKBgQCskcE9Zj3hPTRHH002pCcUg4+wC9UAHs/egerw6LJ9Be/o8NFS\n0PeiTRTtkgnhZj3EY+HU6kzjnm0VWPQhgYjdNkS28WyvIkCXmPTIfrDMKoXYXuSZ\nSSWrBZqvxoLxNn5lrzYk/HzEE8CvYbBhNcNKsJxV6VFrai0ywFXqaDtegQKBgQC+\nmTJGqT4OAt0hL47poMatS14JVx83tYEOuMkVZtQmNNfQQQKZ9bPbA77Y7hgNrTYr\nCTpaCLI+WtufZL63YCthbxClHBjLhXQjip0lPd3arutdbrdbGCpLndhVGv6Lbe64\nlIS9Fcpu/ShOyTcSkb4dP/SdSVx0ZO2QOUDUKuAlJQKBgHn6rwOa6Pr43Wyaj0NW\naoNs61iS0jh45vZhyHWOjeibuDKRUuFAgOgqcoROEBjpcXzhKiINdGYXeyuigmFi\nmUDi+tKnMoiPR+39znvQodWBvSRAEi3BE6xhYX3av1n7MT4HewEHYAKUQl/R8Ye+\nuxD1s5Ix+i/1GXtRtvzUKrV1\n-----END PRIVATE KEY-----\n";

/** The same merchant private key as PKCS#1 PEM (`BEGIN RSA PRIVATE KEY`). */
export const TEST_MERCHANT_PRIVATE_KEY_PKCS1_PEM =
  "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEAvHP/ol6iJUHGUYujZdcuen20ccPH8gE6deU786pQw5hs+bTT\nKdpd699M8MXsPW4FAFATH5RwxGIOVeXadSqxjeup6lq+gT4x0nxll1yikE5rBxVV\nFmJX7FsXU3BUNmHwKg0LPLaGlHvg7+0Bkka7DuzaOa5DD0Maf4EfusNkPS6/THtY\nzGaRjttJo0tiSTb3r/R5iYphbvSa982OgKxVcZ7TKUjwjT73z+CjVr+jdhFoF/GT\n1fja/wjiu49XVJkwM2zkF2enW/75ZYyGfrrHeIYjnH0+VWWnenSto/8c+C+qRrri\nWNnjjio30Sn5tOhGegOJ0ecechdHCfiokvW+OwIDAQABAoIBAB0mjlj17Xv44C31\n/SkAL5rX/gUJBVE8emgJNQxcgJC478Zyf6V+N0AIsxSdcQ0RiymAuWyNoCHojxIf\nc3rjR0LOPOLY9ZX1YmyOPIK83BKZZrnaRWaogLQ5ZPLNseEVpjpC+UWDcG7geKt0\nTGVtlnrZDWqVt57RQPSPKzLPDZ7e64zU9q7AMU+7wG/y4jQOB5Ge/Wyb9f6GdzMf\n7slgaoa6KNmKGU+9aDxury/Nxp++eadLTeut7X8iSSs/Xm19r16pFDSnIy2glMIT\nivPnMk9RPBp0f/VwPqIZ6qLQAEyrnmeLGwpevH5HsAW5Rm3OOH0IWYeXipJ3kqGm\nbdQ/zRECgYEA8UnfqYceO6iOSh+oYiSaSQa1Qpup5tp3njlKQClwoRmhnbGVJUh1\nB2jyjpDtn7NFDM+qUkwftchs/fq4nknmCgt1TT1ovHzf2gnxPVImmNBtxhad3Y6n\nSAZSsom8lFje0Nd5L1Wa5XscSWsBBVIJhxPrPM7452BkIO5wWdLaPfECgYEAx/Fy\n00aS15/+1iHputAl9AbVDP6VoIKSiOuJByuuAD/7TOJvOU/OXx1Bzb/mSChWUKgg\nVggQv14ItnbPLjFllrLydCX8PrQ/mbdXogcC9fa7L0FLylWhnuryHvFvcWKsYEr+\nT2QfEFTvMORQuVFkM332f5gfQ7U7rO0t8OtTAusCgYEArJHBPWY94T00Rx9NNqQn\nFIOPsAvVAB7P3oHq8OiyfQXv6PDRUtD3ok0U7ZIJ4WY9xGPh1OpM455tFVj0IYGI\n3TZEtvFsryJAl5j0yH6wzCqF2F7kmUklqwWar8aC8TZ+Za82JPx8xBPAr2GwYTXD\nSrCcVelRa2otMsBV6mg7XoECgYEAvpkyRqk+DgLdIS+O6aDGrUteCVcfN7WBDrjJ\nFWbUJjTX0EECmfWz2wO+2O4YDa02Kwk6WgiyPlrbn2S+t2ArYW8QpRwYy4V0I4qd\nJT3d2q7rXW63WxgqS53YVRr+i23uuJSEvRXKbv0oTsk3EpG+HT/0nUlcdGTtkDlA\n1CrgJSUCgYB5+q8Dmuj6+N1smo9DVmqDbOtYktI4eOb2Ych1jo3om7gykVLhQIDo\nKnKEThAY6XF84SoiDXRmF3srooJhYplA4vrSpzKIj0ft/c570KHVgb0kQBItwROs\nYWF92r9Z+zE+B3sBB2AClEJf0fGHvrsQ9bOSMfov9Rl7Ubb81Cq1dQ==\n-----END RSA PRIVATE KEY-----\n";

/** Merchant public key, SPKI PEM. The gateway verifies requests with it. */
export const TEST_MERCHANT_PUBLIC_KEY_PEM =
  "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAvHP/ol6iJUHGUYujZdcu\nen20ccPH8gE6deU786pQw5hs+bTTKdpd699M8MXsPW4FAFATH5RwxGIOVeXadSqx\njeup6lq+gT4x0nxll1yikE5rBxVVFmJX7FsXU3BUNmHwKg0LPLaGlHvg7+0Bkka7\nDuzaOa5DD0Maf4EfusNkPS6/THtYzGaRjttJo0tiSTb3r/R5iYphbvSa982OgKxV\ncZ7TKUjwjT73z+CjVr+jdhFoF/GT1fja/wjiu49XVJkwM2zkF2enW/75ZYyGfrrH\neIYjnH0+VWWnenSto/8c+C+qRrriWNnjjio30Sn5tOhGegOJ0ecechdHCfiokvW+\nOwIDAQAB\n-----END PUBLIC KEY-----\n";

/** Gateway ("Alipay") private key, PKCS#8 PEM. The sandbox / fake gateway signs responses and notifications with it. */
export const TEST_GATEWAY_PRIVATE_KEY_PEM =
  "-----BEGIN PRIVATE KEY-----\nMIIEvgIBADANBgkqhkiG9w0BAQEFAASCBKgwggSkAgEAAoIBAQC4grNKfalrNR8E\nnzq45MeEFdrfisKWigSqXkVHPEYN3TILayS01PZLt8OkUbYKCgTPN0Qx+EMXIsPf\nQqAPm0p1RBNiPXrViKCP4gkYG+zpG2oGhQ7X+sEjfaLHN7gnnIU9j8hT25VGWvD6\nXn18rz0klG8OOGjOJ3MbXQQsPP3uICGIbw90C4VX/XW21tL0Svd/T/SRvkMf2k28\nTYxFghNVhyI53dMttNYqHMv5HPG8/oNtX9CeV9aa5g/h7FoVHS3N0Kpxso3Ycdw6\nyzL2LF4zW7d2z5UMvqu5X6+3KL46unmOfgugQlV9KRZThallZqokjlb0zIa1AeYH\nYFl0KKs3AgMBAAECggEACFPI+O0WjvXoMkXOP6plOssShF5EQMkP3T4njRR/HbPe\nK1fCYb4iAFhvcv4USi9NK93IE4oR23xzljyKi5aSbYJzoYGgbPy4/ZiemNqOmBXn\nQU4S1aD49u7kc6Gwvp24zoaruUuPjCWHx+gpBhr4MBHaHt+UebsCd4ZJYIaMK1Zu\n96i9dj0NxFVzW5MUBIvKUBP/lki/PQHsPISzIjUxj5keXaCzGie3rCdqOxs3Frhq\n3F1mfNsqvU6Ci/TaUw+cJ6eReOVW+Pha80st5Htj76wOdyw/XE4Bw6jy/qmnEgn5\n+T7A5CwKKS7QTjj54xavEilaZM1/JdMbttsoJW4r2QKBgQDyPwmwjSkPdqXy42Dn\n3EeuPuxJJldi3OeU3Mnp6zrvNWMfDpNpTSkxi6WMymru+WNaW+FrCQrTvJ+QAJuK\n0JhC2k7DzQXDCGtwBZSk1oPpPBXmt9AcLWnJnzeETN+HjNR2X8xkc9beLzttmuAU\nOY1KZQmbx6VRDF7ukHYd64VKUwKBgQDC/H6zyvQMEHVl1E5C7GhoMjhRvulrLfRL\nKGDRpuqRrqppX3mkS1AX/CzrFEI9UAjFHvkaoBSQKi0Z1Lsw3qwAtFlrN1w5jbLk\nBkqVj82sE3i64XzAZvE0j9+eMqWjae9KIof+MroGffvLN6CJNFD5MuN9qO4o2ySO\nSoIcmgHnDQKBgGTrvDawaGXH0VUCQ3H1BGvkTP4gmhFW5KfQ39GzLSdQ/42FvgYF\nnl7ExeCEx83tWeXgF2ZHKxqRH4yXpDVNt9FKL7xE4tyg2lmeCZIuyF/Xp2wqMeo7\nRTI5QaC9gfZvxmfWe0lyNRb1aHW+KxJh86oFs94Ra577X2VWC89lOm9/AoGBAI46\nF0GWPMXAC6InZp6ySsYWO7aFB0ZC0vsvjM/gbSGuwmbyWYxZ0yZrr2gZ8uc+Redj\nXFjrg5RU72j0H0baZaRt6Pun+gGRNnfVjvnhVyi5W0sVxyWg8Thh6b8/OkskroLp\nBUGKRt8NbmkhPlxWaOodEItMecwbbWLNPnMWc2TRAoGBAL/J3x7R5QMMghRbz+7j\ntTgTrT2Xy2qJ73AlUtTp1jJFQFYPRjPbjersGa2PG0mcsvai6tpP0vxDkqiNBnOh\n6Oplk+Q26qOy+awBlAjiRPZeqgrYYQ2dYurygWshBmwKTjCgwL+27XSNRMWnsup0\nWIwix0evXWJ7JvGpUFttrGnV\n-----END PRIVATE KEY-----\n";

/** Gateway ("Alipay") public key, SPKI PEM. The client verifies responses with it. */
export const TEST_GATEWAY_PUBLIC_KEY_PEM =
  "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAuIKzSn2pazUfBJ86uOTH\nhBXa34rClooEql5FRzxGDd0yC2sktNT2S7fDpFG2CgoEzzdEMfhDFyLD30KgD5tK\ndUQTYj161Yigj+IJGBvs6RtqBoUO1/rBI32ixze4J5yFPY/IU9uVRlrw+l59fK89\nJJRvDjhozidzG10ELDz97iAhiG8PdAuFV/11ttbS9Er3f0/0kb5DH9pNvE2MRYIT\nVYciOd3TLbTWKhzL+RzxvP6DbV/QnlfWmuYP4exaFR0tzdCqcbKN2HHcOssy9ixe\nM1u3ds+VDL6ruV+vtyi+Orp5jn4LoEJVfSkWU4WpZWaqJI5W9MyGtQHmB2BZdCir\nNwIDAQAB\n-----END PUBLIC KEY-----\n";

/** Bare base64 (Alipay portal style) forms of the test keys. */
export const TEST_MERCHANT_PRIVATE_KEY_BASE64 = pemToBase64(TEST_MERCHANT_PRIVATE_KEY_PEM);
export const TEST_MERCHANT_PUBLIC_KEY_BASE64 = pemToBase64(TEST_MERCHANT_PUBLIC_KEY_PEM);
export const TEST_GATEWAY_PUBLIC_KEY_BASE64 = pemToBase64(TEST_GATEWAY_PUBLIC_KEY_PEM);

/** Test Antom client id (`client-id` header). The merchant test key signs its requests, the gateway test key Antom's answers. */
export const TEST_ANTOM_CLIENT_ID = "SANDBOX_5Y3A2N2YEB3002022";
