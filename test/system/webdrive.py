#!/usr/bin/python3
"""Drive the web view (web.c) in headless Chromium through Selenium and
chromedriver (Debian's chromium, chromium-driver, python3-selenium).
test_web.py runs it inside the daemon's namespace:

    webdrive.py URL USER PASSWORD SID REASON SCREENSHOT WORKDIR

It logs in (HTTP Basic, sent by the browser through the DevTools
protocol), reads the session list, sorts it, opens session SID, reads the
chart's data and the event list, saves a screenshot, disconnects the
session with REASON and waits until the event list shows the teardown.
Prints one JSON object with what it saw."""
import base64
import json
import sys
import time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By


def wait(pred, timeout=15, what="condition"):
    end = time.time() + timeout
    while time.time() < end:
        v = pred()
        if v:
            return v
        time.sleep(0.1)
    raise SystemExit(f"webdrive: timed out waiting for {what}")


def table(drv, sel):
    return [[td.text for td in tr.find_elements(By.TAG_NAME, "td")]
            for tr in drv.find_elements(By.CSS_SELECTOR, sel)]


def main():
    url, user, pw, sid, reason, shot, work = sys.argv[1:8]
    opts = webdriver.ChromeOptions()
    opts.binary_location = "/usr/bin/chromium"
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu",
              "--disable-quic", "--no-first-run",
              "--disable-background-networking", "--disable-component-update",
              "--disable-sync", "--disable-dev-shm-usage",
              f"--user-data-dir={work}/profile", "--window-size=1000,1100"):
        opts.add_argument(a)
    drv = webdriver.Chrome(service=Service("/usr/bin/chromedriver"),
                           options=opts)
    out = {}
    try:
        cred = base64.b64encode(f"{user}:{pw}".encode()).decode()
        drv.execute_cdp_cmd("Network.enable", {})
        drv.execute_cdp_cmd("Network.setExtraHTTPHeaders",
                            {"headers": {"Authorization": f"Basic {cred}"}})
        drv.get(url)
        body = drv.find_element(By.TAG_NAME, "body")
        wait(lambda: body.get_attribute("data-ready") == "#", what="list")
        out["list"] = table(drv, "#sessions tbody tr")
        # sort by SID, twice: descending
        th = drv.find_element(By.CSS_SELECTOR, 'th[data-k="sid"]')
        th.click()
        out["sorted_desc"] = table(drv, "#sessions tbody tr")
        th.click()
        out["sorted_asc"] = table(drv, "#sessions tbody tr")
        # open the session by clicking its row
        drv.find_element(By.CSS_SELECTOR,
                         f'#sessions tr[data-sid="{sid}"]').click()
        wait(lambda: body.get_attribute("data-ready") == f"#{sid}",
             what="the detail")
        out["chart"] = drv.execute_script("return window.chartData")
        out["qsum"] = drv.find_element(By.ID, "qsum").text
        out["events"] = table(drv, "#events tbody tr")
        out["user"] = drv.find_element(By.ID, "duser").text
        drv.save_screenshot(shot)
        # disconnect with a reason
        drv.find_element(By.ID, "reason").send_keys(reason)
        drv.find_element(By.ID, "dropbtn").click()
        wait(lambda: drv.find_element(By.ID, "dropres").text, what="drop")
        out["dropres"] = drv.find_element(By.ID, "dropres").text

        def ended():
            drv.execute_script(f"loadDetail({sid})")
            time.sleep(0.3)
            return "ended" in drv.find_element(By.ID, "dended").text
        wait(ended, 15, "the session to end")
        out["events_after"] = table(drv, "#events tbody tr")
        drv.save_screenshot(shot.replace(".png", "-after.png"))
    finally:
        drv.quit()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
