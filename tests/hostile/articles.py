"""Self-written article pages for the hostile tests: each one distinct enough that dedup keeps them apart.

Every article reports a (fictional) state regulator blocking a platform, so the classifier would keep it too.
"""

from __future__ import annotations

from dataclasses import dataclass

_COUNTRIES = ["Atlantis", "Borduria", "Syldavia", "Freedonia", "Genovia", "Latveria", "Elbonia", "Krakozhia",
              "Ruritania", "Zubrowka", "Sokovia", "Molvania", "Petoria", "Markovia", "Qumar", "Kasnia", "Carpania",
              "Vulgaria", "Tomainia", "Bacteria"]
_REGULATORS = ["communications regulator", "telecom authority", "media watchdog", "ministry of digital affairs",
               "internet supervision agency", "national security council", "information ministry",
               "broadcasting commission", "cyber police", "state prosecutor", "supreme court",
               "telecommunications board", "ministry of the interior", "data protection office",
               "federal network agency", "presidential administration", "state communications service",
               "information technologies authority", "public order ministry", "national frequency agency"]
_PLATFORMS = ["WhatsApp", "Telegram", "Signal", "Viber", "Discord", "YouTube", "TikTok", "Instagram", "Facebook",
              "Skype", "Zoom", "Snapchat", "LinkedIn", "Wikipedia", "Twitch", "Reddit", "Threads", "Bluesky", "WeChat",
              "Roblox"]
_WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]

_BANK = [
    "Users reported that the application stopped loading on the largest mobile networks within hours of the order.",
    ("Digital rights groups called the decision disproportionate and said it would cut millions of people off from "
     "friends and family abroad."),
    ("Independent measurements showed that connections to the service were being reset by equipment installed at the "
     "main internet exchange points."),
    "The agency said the restriction would stay in force until the company opened a local office and paid its fines.",
    "Downloads of virtual private network apps jumped more than tenfold in the country over the following weekend.",
    "A spokesperson for the company said it was studying the order and remained committed to keeping people connected.",
    "Lawmakers from the ruling party welcomed the move, arguing that foreign platforms must respect national law.",
    "Opposition politicians said the block was timed to silence criticism ahead of regional elections in the autumn.",
    "Small businesses that relied on the service to talk to customers said they were already losing orders.",
    ("The regulator has previously slowed traffic to several foreign platforms, a tactic critics call censorship by "
     "attrition."),
    "Engineers at a local monitoring project said the filtering appeared to target the domain names used by the app.",
    "Court filings seen by reporters show the ministry asked judges to approve the block without telling the company.",
    "Teachers said pupils had lost access to study groups that had moved onto the platform during the pandemic.",
    "The press office of the national telecom operator declined to say how long the measure would last.",
    "A similar order issued two years ago was lifted after the company agreed to store user data on local servers.",
    ("Human rights lawyers said they would challenge the order in the constitutional court, citing the right to "
     "receive information."),
    "Traffic data published by an internet observatory showed a sharp fall in requests shortly after midnight.",
    "Journalists who used the service to reach sources said they had switched to encrypted email and satellite phones.",
    "The ministry of communications published a list of domestic alternatives that it said users should install.",
    ("Industry analysts estimated that advertising revenue lost to the block could reach several million dollars a "
     "month."),
    "Residents of border towns said they could still reach the service through roaming cards bought next door.",
    "The government statement accused the platform of spreading extremist material and ignoring prosecutors.",
    "Several members of parliament asked the speaker to hold hearings on whether the regulator exceeded its powers.",
    "Customer support lines at mobile operators were overwhelmed by callers who thought their phones were broken.",
    "A coalition of publishers warned that readers who found news through the platform would be harder to reach.",
    "The watchdog also threatened to fine app stores that keep offering the application for download.",
    "Officials said the technical measures cost the treasury nothing because operators pay for the filtering boxes.",
    "Academics who study information controls noted that the order followed a new law on sovereign infrastructure.",
    "Several embassies issued statements urging the authorities to restore access and respect free expression.",
    "Gamers and streamers complained that voice chat features built on the service had also stopped working.",
    "Hospitals that coordinated night shifts in group chats had to fall back on text messages and pagers.",
    "The national cyber security centre said it had no role in the decision and only gave technical advice.",
    "Courier companies said drivers could no longer share locations with dispatchers, so deliveries were delayed.",
    "A university survey found that two in three young people in the capital used the service every day.",
    "Prosecutors opened a separate case against the company's local representative over an unpaid earlier penalty.",
    "Technology columnists pointed out that the block also broke payment systems that used the platform for login.",
    "The regulator's chief told a television interviewer that the block could end within days if the firm cooperated.",
    "Activists distributed printed instructions explaining how to configure proxies and mirror sites.",
    "Farmers' cooperatives said weather alerts sent through channels on the service no longer reached members.",
    "Parents' associations asked schools to postpone online exams that had been organised through the platform.",
]

_RU_REGULATORS = ["Роскомнадзор", "Министерство связи", "Служба по надзору в сфере связи", "Генеральная прокуратура",
                  "Агентство по информационным технологиям"]
_RU_PLATFORMS = ["мессенджер Signal", "видеосервис YouTube", "мессенджер Viber", "соцсеть Instagram",
                 "платформу Discord"]
_RU_BANK = [
    ("Пользователи сообщили, что приложение перестало загружаться в сетях крупнейших мобильных операторов уже через "
     "несколько часов."),
    ("Правозащитники назвали решение несоразмерным и предупредили, что миллионы людей лишатся привычного способа "
     "общения с близкими."),
    ("Независимые измерения показали, что соединения с серверами сервиса сбрасываются оборудованием, установленным у "
     "провайдеров."),
    ("В ведомстве заявили, что ограничение будет действовать до тех пор, пока компания не откроет местное "
     "представительство."),
    "Число загрузок приложений для обхода блокировок за выходные выросло более чем в десять раз.",
    "Представитель компании сообщил, что юристы изучают требование и готовят ответ регулятору.",
    "Депутаты правящей партии поддержали меру, заявив, что иностранные платформы обязаны соблюдать местные законы.",
    "Предприниматели, которые общались с клиентами через сервис, пожаловались на потерю заказов.",
    ("Ранее регулятор уже замедлял работу нескольких зарубежных платформ, и эксперты называют такую тактику цензурой "
     "на измор."),
    "Учителя рассказали, что школьники потеряли доступ к учебным чатам, созданным во время пандемии.",
]


@dataclass(frozen=True)
class ArticleText:
    """The text of one article page."""

    title: str
    paragraphs: tuple[str, ...]
    language: str

    @property
    def first(self) -> str:
        return self.paragraphs[0]


def english(index: int) -> ArticleText:
    """The index-th English article (0..19): a distinct country, regulator, platform and pair of bank sentences."""
    country, regulator, platform = _COUNTRIES[index], _REGULATORS[index], _PLATFORMS[index]
    opening = (f"The {regulator} of {country} ordered internet providers on {_WEEKDAYS[index % 7]} to block {platform} "
               f"nationwide, saying the service had ignored {index + 3} official demands to delete content that the "
               "agency considers unlawful.")
    return ArticleText(
        title=f"{country} blocks {platform} after {index + 3} ignored demands",
        paragraphs=(opening, _BANK[2 * index], _BANK[2 * index + 1]),
        language="en",
    )


def russian(index: int) -> ArticleText:
    """The index-th Russian article (0..4)."""
    opening = (f"{_RU_REGULATORS[index]} потребовал от операторов связи заблокировать {_RU_PLATFORMS[index]} по всей "
               f"стране, заявив, что сервис проигнорировал {index + 4} предписаний об удалении материалов.")
    return ArticleText(
        title=f"{_RU_REGULATORS[index]} заблокировал {_RU_PLATFORMS[index]}",
        paragraphs=(opening, _RU_BANK[2 * index], _RU_BANK[2 * index + 1]),
        language="ru",
    )


def page(text: ArticleText, *, head_extra: str = "", published: str = "2026-02-10T09:00:00+00:00") -> str:
    """A plain news article page (OpenGraph article, one <article> with the headline and paragraphs)."""
    paragraphs = "\n".join(f"<p>{p}</p>" for p in text.paragraphs)
    return (
        f'<!DOCTYPE html>\n<html lang="{text.language}"><head>{head_extra}<title>{text.title}</title>\n'
        f'<meta property="og:type" content="article"><meta property="og:title" content="{text.title}">\n'
        f'<meta property="article:published_time" content="{published}"></head>\n'
        f'<body><header><nav><a href="/">Fault News</a></nav></header>\n'
        f"<article><h1>{text.title}</h1>\n{paragraphs}\n</article><footer>Fault News</footer></body></html>\n"
    )
