import AkashiReports
import Testing

/// How dates and times read on staff screens: Japan time to the minute, never ISO with milliseconds.
@Suite struct DisplayTextTests {
    @Test func timestampsReadInJapanTimeToTheMinute() {
        #expect(ReportText.dateTime("2026-12-06T16:59:41.873+09:00") == "2026年12月6日 16:59")
        // Written in UTC, read in Japan time: the next day there.
        #expect(ReportText.dateTime("2011-03-10T23:05:00Z") == "2011年3月11日 8:05")
        #expect(ReportText.dateTime("2019-05-01T09:00:00+09:00", wareki: true) == "令和元年5月1日 9:00")
    }

    @Test func datesReadAsWrittenInJapan() {
        #expect(ReportText.date("1972-03-06") == "1972年3月6日")
        #expect(ReportText.date("2011-03-10T23:05:00Z") == "2011年3月11日")
        #expect(ReportText.wareki("1972-03-06") == "昭和47年3月6日")
    }

    @Test func textThatIsNotADateIsLeftAsItIs() {
        #expect(ReportText.dateTime("") == "")
        #expect(ReportText.dateTime("yesterday") == "yesterday")
        #expect(ReportText.date("2011-02-30") == "2011-02-30")
    }
}

/// The municipality's contact for residents, as `akashi serve` and `akashi disclose` take it.
@Suite struct ResidentContactTests {
    @Test func checkedFieldsNameWhatIsWrong() throws {
        #expect(throws: ReportError("the resident page URL must be an https:// address (got \"kiroku.example.jp\")")) {
            try ResidentContact.checked(municipality: "", desk: "", pageURL: "kiroku.example.jp")
        }
        #expect(throws: ReportError("the resident desk contains a control character")) {
            try ResidentContact.checked(municipality: "", desk: "市民課\u{7}", pageURL: "")
        }
        #expect(throws: ReportError("the municipality name is longer than 200 characters")) {
            try ResidentContact.checked(municipality: String(repeating: "市", count: 201), desk: "", pageURL: "")
        }
        let ok = try ResidentContact.checked(municipality: " 大阪市 ", desk: "", pageURL: "https://kiroku.city.example.jp/resident")
        #expect(ok.municipality == "大阪市")
    }

    @Test func emptyIsUnknownAndTheTextSaysWhomToAsk() {
        #expect(ResidentContact().whereToAsk().ja.contains("お住まいの市区町村の戸籍担当窓口"))
        #expect(ResidentContact(municipality: "大阪市").whereToAsk().ja.contains("大阪市の戸籍担当窓口"))
        #expect(ResidentContact(municipality: "大阪市", desk: "北区役所 市民課").whereToAsk().ja.contains("北区役所 市民課へ"))
        #expect(ResidentContact(desk: "北区役所 市民課").whereToAsk(.issuance).ja == "この交付についてのお問い合わせは、北区役所 市民課へお問い合わせください。通知番号をお伝えください。")
    }
}
