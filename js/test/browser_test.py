#!/usr/bin/env python3
"""The playground and a Web Worker in a real browser: headless Chromium driven by Selenium.

    .venv/bin/python js/test/browser_test.py [--screenshot PNG]

Serves js/ on a local port, types into the playground and checks the count and ids it shows
against the native command ($RWKVTOK_CLI), goes from ids back to text, checks an invalid id's
message, the hex display of partial characters and the hover text, then measures re-tokenizing
and rendering 100 KB of text per keystroke (reported, not asserted), and runs the tokenizer in a
module Web Worker. Needs Debian's chromium and chromium-driver and selenium from PyPI.
"""

import argparse
import functools
import http.server
import json
import os
import pathlib
import statistics
import subprocess
import sys
import threading
import urllib.parse

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

JS_DIR = pathlib.Path(__file__).resolve().parents[1]
ROOT = JS_DIR.parent
SAMPLE = ("Hello, world! 你好，世界。 Привет, мир!\nRWKV is an RNN with transformer-level "
          "performance. 龘\ndef square(x):\n    return x ** 2\n")


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map,
                      ".mjs": "text/javascript", ".wasm": "application/wasm"}

    def log_message(self, *args):
        pass


def native_ids(text):
    cli = os.environ.get("RWKVTOK_CLI", str(ROOT / "bazel-bin" / "tools" / "rwkvtok"))
    out = subprocess.run([cli, "encode", "--format", "json"], input=text.encode(), check=True,
                         capture_output=True).stdout
    return json.loads(out)


def check(condition, message):
    if not condition:
        sys.exit(f"browser_test: FAILED: {message}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--screenshot", help="save a screenshot of the playground here")
    args = parser.parse_args()

    handler = functools.partial(QuietHandler, directory=str(JS_DIR))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"

    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                     "--window-size=1060,660"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    try:
        wait = WebDriverWait(driver, 30)
        driver.get(f"{base}/playground/index.html")
        wait.until(lambda d: d.execute_script("return window.rwkvtokPlayground && "
                                              "window.rwkvtokPlayground.ready"))
        page = driver.find_element(By.ID, "input")
        shown_count = lambda: int(driver.find_element(By.ID, "token-count").text.replace(",", ""))

        # Typing, key by key.
        page.clear()
        page.send_keys(SAMPLE)
        expected = native_ids(SAMPLE)
        wait.until(lambda d: shown_count() == len(expected))
        check(driver.execute_script("return window.rwkvtokPlayground.ids()") == expected,
              "the playground's ids differ from the native command's")
        spans = driver.find_elements(By.CSS_SELECTOR, "#tokens > div > span")
        check(len(spans) == len(expected), "one span per token")
        check(driver.find_elements(By.CSS_SELECTOR, "#tokens .hex"),
              "a partial character is shown as hex")
        hover = driver.execute_script(
            "const s = document.querySelector('#tokens > div > span');"
            "s.dispatchEvent(new MouseEvent('mouseover', {bubbles: true})); return s.title;")
        check(f"id {expected[0]}" in hover, f"hover text names the id: {hover!r}")
        check(driver.find_element(By.ID, "bytes-per-token").text ==
              f"{len(SAMPLE.encode()) / len(expected):.2f}", "bytes per token")
        if args.screenshot:
            driver.save_screenshot(args.screenshot)

        driver.find_element(By.ID, "show-ids").click()
        shown_ids = driver.find_element(By.ID, "ids").text
        check(shown_ids == ", ".join(map(str, expected)), f"the id list: {shown_ids!r}")
        driver.find_element(By.ID, "show-tokens").click()

        # Ids back to text.
        driver.find_element(By.ID, "mode-ids").click()
        check(page.get_attribute("value") == ", ".join(map(str, expected)), "ids mode shows the ids")
        page.clear()
        page.send_keys(" ".join(map(str, expected)))
        wait.until(lambda d: shown_count() == len(expected))
        driver.find_element(By.ID, "mode-text").click()
        check(page.get_attribute("value") == SAMPLE, "back to the text")
        driver.find_element(By.ID, "mode-ids").click()
        page.send_keys(", 70000")
        wait.until(lambda d: "invalid token id 70000" in d.find_element(By.ID, "status").text)
        driver.find_element(By.ID, "mode-text").click()

        # 100 KB of text, then keystrokes: the page's own measure of each update.
        corpus = pathlib.Path(os.environ.get("RWKVTOK_CORPUS_DIR",
                                             ROOT.parent / "shared" / "corpus")) / "public"
        source = SAMPLE * 2
        if corpus.is_dir():
            source = "".join(p.read_text("utf-8", "replace") for p in sorted(corpus.glob("*.txt"))[:40])
        big = (source * (100_000 // max(len(source.encode()), 1) + 1)).encode()[:100_000]
        big = big.decode("utf-8", "ignore")
        driver.execute_script("const i = document.getElementById('input'); i.value = arguments[0];"
                              "i.dispatchEvent(new Event('input'));", big)
        big_ids = native_ids(big)
        wait.until(lambda d: shown_count() == len(big_ids))
        check(driver.execute_script("return window.rwkvtokPlayground.ids()") == big_ids,
              "100 KB: the ids differ from the native command's")
        times = []
        for key in "abcdefghij":
            page.send_keys(Keys.END, key)
            times.append(driver.execute_script("return window.rwkvtokPlayground.lastUpdateMs"))
        print(f"browser_test: playground, 100 KB of text ({len(big_ids)} tokens): re-tokenize and "
              f"render per keystroke, median {statistics.median(times):.1f} ms "
              f"(min {min(times):.1f}, max {max(times):.1f}) in {driver.capabilities['browserVersion']}"
              f" headless")

        # A module Web Worker with a tokenizer of its own.
        text = "A worker encodes this: 你好 🙂"
        driver.get(f"{base}/test/browser/worker.html?text={urllib.parse.quote(text)}")
        result = wait.until(lambda d: d.execute_script("return window.workerResult"))
        check("error" not in result, f"the worker failed: {result}")
        check(result["ids"] == native_ids(text), "the worker's ids differ from the native command's")
        print("browser_test: playground and Web Worker passed")
    finally:
        driver.quit()
        server.shutdown()


if __name__ == "__main__":
    main()
