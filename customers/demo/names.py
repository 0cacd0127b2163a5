"""Common first and last names of several cultures, and which cultures live where.

Written out here rather than taken from a fake-data library: the demo needs no extra
dependency, and a few hundred real names per culture already look like a real customer
list. Names are in Latin script (romanised where needed) so staff can search them.
"""

from dataclasses import dataclass


def _names(text: str) -> tuple[str, ...]:
    """Split a comma-separated list (names may contain spaces, like "de Vries")."""
    return tuple(name.strip() for name in text.split(",") if name.strip())


@dataclass(frozen=True)
class Culture:
    """First and last names common in one culture (first names of all genders mixed)."""

    first_names: tuple[str, ...]
    last_names: tuple[str, ...]


CULTURES: dict[str, Culture] = {
    "anglo": Culture(
        _names("""
            James, Mary, John, Patricia, Robert, Jennifer, Michael, Linda, William, Elizabeth,
            David, Barbara, Richard, Susan, Joseph, Jessica, Thomas, Sarah, Charles, Karen,
            Christopher, Emily, Daniel, Olivia, Matthew, Emma, Andrew, Sophie, Oliver,
            Charlotte, George, Amelia, Harry, Grace, Jack, Chloe, Liam, Ava, Noah, Mia, Ethan,
            Hannah, Lucas, Zoe, Ryan, Megan, Nathan, Lauren, Samuel, Abigail, Benjamin, Ella,
            Henry, Isla, Jacob, Lily, Alexander, Madison, Owen, Ruby, Connor, Siobhan, Declan,
            Aoife, Kevin, Niamh, Brian, Rebecca, Mark, Rachel, Paul, Amy, Steven, Laura
        """),
        _names("""
            Smith, Johnson, Williams, Brown, Jones, Miller, Davis, Wilson, Anderson, Taylor,
            Thomas, Moore, Martin, Jackson, Thompson, White, Harris, Clark, Lewis, Robinson,
            Walker, Young, Allen, King, Wright, Scott, Hill, Green, Adams, Baker, Nelson,
            Carter, Mitchell, Roberts, Turner, Phillips, Campbell, Parker, Evans, Edwards,
            Collins, Stewart, Morris, Murphy, Cook, Rogers, Morgan, Cooper, Hughes, Kelly,
            O'Brien, Walsh, Byrne, Ryan, O'Sullivan, McCarthy, Doyle, Bennett, Wood, Price,
            Ward, Fletcher, Hall, Bailey, Foster, Graham, Reid, MacDonald, Fraser, Knight
        """),
    ),
    "german": Culture(
        _names("""
            Lukas, Leon, Finn, Jonas, Paul, Felix, Maximilian, Elias, Ben, Luis, Anna, Lena,
            Lea, Hannah, Mia, Emma, Sophie, Marie, Laura, Julia, Katharina, Stefan, Andreas,
            Jürgen, Sabine, Ute, Tobias, Florian, Johanna, Greta, Matthias, Christian, Birgit,
            Monika, Klaus, Wolfgang, Heike, Anke, Jan, Niklas, Annika, Frieda
        """),
        _names("""
            Müller, Schmidt, Schneider, Fischer, Weber, Meyer, Wagner, Becker, Schulz,
            Hoffmann, Schäfer, Koch, Bauer, Richter, Klein, Wolf, Schröder, Neumann, Schwarz,
            Zimmermann, Braun, Krüger, Hofmann, Hartmann, Lange, Schmitt, Werner, Krause,
            Meier, Lehmann, Köhler, Herrmann, König, Walter, Mayer, Huber, Kaiser, Fuchs, Peters,
            Lang, Scholz, Möller, Weiß, Jung, Hahn, Vogel, Friedrich, Keller, Günther, Frank
        """),
    ),
    "french": Culture(
        _names("""
            Louis, Gabriel, Raphaël, Jules, Arthur, Hugo, Léo, Lucas, Nathan, Thomas,
            Camille, Léa, Manon, Chloé, Inès, Jade, Louise, Zoé, Juliette, Élodie, Amélie,
            François, Hélène, Mathilde, Clément, Théo, Margaux, Océane, Benoît, Sébastien,
            Antoine, Guillaume, Nicolas, Julien, Pauline, Céline, Aurélie, Maxime, Émilie, Noémie
        """),
        _names("""
            Martin, Bernard, Dubois, Thomas, Robert, Richard, Petit, Durand, Leroy, Moreau,
            Simon, Laurent, Lefebvre, Michel, David, Bertrand, Roux, Vincent, Fournier, Morel,
            Girard, André, Lefèvre, Mercier, Dupont, Lambert, Bonnet, François, Legrand,
            Garnier, Faure, Rousseau, Blanc, Chevalier, Guérin, Boyer, Gauthier, Perrin,
            Robin, Clément, Morin, Nicolas, Henry, Roussel, Mathieu, Gautier, Masson, Marchand
        """),
    ),
    "dutch": Culture(
        _names("""
            Daan, Sem, Lucas, Levi, Finn, Bram, Jesse, Thijs, Ruben, Lars, Emma, Julia, Sophie,
            Tess, Fenna, Sanne, Lotte, Anouk, Femke, Eva, Maarten, Joost, Pieter, Willem,
            Marieke, Saskia, Jeroen, Hendrik, Floor, Noor, Sven, Wouter, Ilse, Merel
        """),
        _names("""
            de Jong, Jansen, de Vries, van den Berg, van Dijk, Bakker, Janssen, Visser, Smit,
            Meijer, de Boer, Mulder, de Groot, Bos, Vos, Peters, Hendriks, van Leeuwen, Dekker,
            Brouwer, de Wit, Dijkstra, Smits, de Graaf, van der Meer, van der Linden, Kok,
            Jacobs, de Haan, Vermeulen, van den Heuvel, van der Veen, van den Broek, Verhoeven
        """),
    ),
    "hispanic": Culture(
        _names("""
            José, Luis, Carlos, Juan, Miguel, Alejandro, Javier, Diego, Pablo, Sergio, Andrés,
            Mateo, Santiago, María, Carmen, Lucía, Sofía, Isabel, Ana, Laura, Paula, Elena,
            Marta, Valentina, Camila, Daniela, Gabriela, Alba, Jorge, Rafael, Adriana, Natalia,
            Fernando, Ricardo, Rosa, Pilar, Raúl, Inés
        """),
        _names("""
            García, Rodríguez, González, Fernández, López, Martínez, Sánchez, Pérez, Gómez,
            Martín, Jiménez, Ruiz, Hernández, Díaz, Moreno, Álvarez, Muñoz, Romero, Alonso,
            Gutiérrez, Navarro, Torres, Domínguez, Vázquez, Ramos, Castillo, Flores, Rivera,
            Morales, Ortiz, Reyes, Cruz, Medina, Castro, Herrera, Mendoza, Vargas, Silva
        """),
    ),
    "italian": Culture(
        _names("""
            Francesco, Alessandro, Lorenzo, Matteo, Leonardo, Andrea, Marco, Giuseppe, Luca,
            Giovanni, Federico, Riccardo, Sofia, Giulia, Aurora, Alice, Ginevra, Chiara,
            Francesca, Martina, Sara, Elisa, Giorgia, Valentina, Beatrice, Alessia, Paolo,
            Stefano, Roberta, Silvia, Davide, Simone, Elena, Antonella
        """),
        _names("""
            Rossi, Russo, Ferrari, Esposito, Bianchi, Romano, Colombo, Ricci, Marino, Greco,
            Bruno, Gallo, Conti, De Luca, Mancini, Costa, Giordano, Rizzo, Lombardi, Moretti,
            Barbieri, Fontana, Santoro, Mariani, Rinaldi, Caruso, Ferrara, Galli, Martini,
            Leone, Longo, Gentile, Martinelli, Vitale, Serra, Coppola, De Santis, Marchetti
        """),
    ),
    "nordic": Culture(
        _names("""
            Erik, Lars, Anders, Johan, Karl, Nils, Oskar, Axel, Magnus, Henrik, Björn, Emil,
            Astrid, Ingrid, Elsa, Maja, Linnea, Sara, Freja, Ebba, Karin, Sofia, Ida, Liv,
            Saga, Signe, Mikkel, Rasmus, Søren, Mette, Sigrid, Ole, Kristian, Hanne
        """),
        _names("""
            Andersson, Johansson, Karlsson, Nilsson, Eriksson, Larsson, Olsson, Persson,
            Svensson, Gustafsson, Pettersson, Jonsson, Hansen, Johansen, Olsen, Larsen,
            Lindqvist, Berg, Lindberg, Holm, Nyström, Bergström, Lundgren, Jensen, Nielsen,
            Pedersen, Kristiansen, Sørensen, Haugen, Solberg, Lindström, Sandberg
        """),
    ),
    "polish": Culture(
        _names("""
            Jakub, Kacper, Szymon, Filip, Mateusz, Piotr, Tomasz, Krzysztof, Paweł, Michał,
            Anna, Zuzanna, Julia, Maja, Zofia, Katarzyna, Agnieszka, Małgorzata, Magdalena,
            Aleksandra, Marek, Łukasz, Ewa, Joanna
        """),
        # Surnames without a gendered ending, so any first name fits.
        _names("""
            Nowak, Wójcik, Kowalczyk, Woźniak, Mazur, Krawczyk, Kaczmarek, Zając, Król,
            Wieczorek, Wróbel, Stępień, Dudek, Pawlak, Sikora, Baran, Michalak, Szewczyk,
            Walczak, Adamczyk, Górecki, Nowicki, Marczak, Jasiński
        """),
    ),
    "turkish": Culture(
        _names("""
            Mehmet, Mustafa, Ahmet, Emre, Can, Burak, Elif, Zeynep, Ayşe, Fatma, Merve, Ece,
            Deniz, Selin, Yusuf, Cem, Hakan, Serkan, Esra, Büşra, Kerem, Onur
        """),
        _names("""
            Yılmaz, Kaya, Demir, Şahin, Çelik, Yıldız, Yıldırım, Öztürk, Aydın, Özdemir,
            Arslan, Doğan, Kılıç, Aslan, Çetin, Kara, Koç, Kurt, Özkan, Polat
        """),
    ),
    "arabic": Culture(
        _names("""
            Omar, Ahmed, Youssef, Karim, Hassan, Ali, Layla, Fatima, Amira, Nour, Yasmin,
            Rania, Samir, Tariq, Leila, Mariam, Khalid, Hana, Bilal, Salma, Zaid, Dina
        """),
        _names("""
            Haddad, Khalil, Nasser, Saleh, Mansour, Hassan, Aziz, Farah, Hamdan, Rahman,
            Ibrahim, Mahmoud, Abdullah, Najjar, Khoury, Benali, El Amrani, Bouzid, Chaouki,
            Said
        """),
    ),
    "african": Culture(
        _names("""
            Chinedu, Oluwaseun, Adebayo, Ngozi, Chiamaka, Emeka, Folake, Tunde, Amara, Kwame,
            Ama, Kofi, Abena, Zanele, Thabo, Sipho, Nomvula, Yaw, Efua, Ifeoma, Kelechi, Lerato
        """),
        _names("""
            Okafor, Adeyemi, Okonkwo, Balogun, Eze, Mensah, Boateng, Asante, Owusu, Nkosi,
            Dlamini, Ndlovu, Mokoena, Abiodun, Nwosu, Oyelaran, Addo, Osei, Mahlangu, Obi
        """),
    ),
    "south_asian": Culture(
        _names("""
            Aarav, Arjun, Rohan, Vikram, Rahul, Amit, Sanjay, Priya, Ananya, Diya, Aditi,
            Kavya, Neha, Pooja, Sneha, Riya, Ishaan, Kiran, Deepak, Meera, Anil, Sunita, Ravi,
            Lakshmi, Harpreet, Gurpreet, Nikhil, Shreya
        """),
        _names("""
            Patel, Sharma, Singh, Kumar, Gupta, Shah, Mehta, Reddy, Iyer, Nair, Rao, Joshi,
            Das, Chopra, Malhotra, Kapoor, Bose, Banerjee, Desai, Menon, Pillai, Verma, Agarwal,
            Chaudhary, Sandhu, Gill
        """),
    ),
    "chinese": Culture(
        _names("""
            Wei, Fang, Jing, Min, Hui, Xin, Yan, Jun, Lei, Hao, Yu, Mei, Ling, Jie, Tao, Ying,
            Zhen, Xiaoming, Yifan, Zihan, Haoran, Yuxuan, Jiahui, Qiang, Lan, Chen, Kai, Ming
        """),
        _names("""
            Wang, Li, Zhang, Liu, Chen, Yang, Huang, Zhao, Wu, Zhou, Xu, Sun, Ma, Zhu, Hu,
            Guo, Lin, He, Gao, Luo, Zheng, Liang, Tan, Lim, Wong, Ng, Chan, Lee, Tang, Ho
        """),
    ),
    "japanese": Culture(
        _names("""
            Haruto, Yuto, Sota, Ren, Hiroshi, Takashi, Kenji, Daiki, Yuki, Sakura, Yui, Aoi,
            Hina, Mio, Haruka, Yuna, Emi, Naoko, Keiko, Akira, Kaito, Riku, Miyu, Ayaka
        """),
        _names("""
            Sato, Suzuki, Takahashi, Tanaka, Watanabe, Ito, Yamamoto, Nakamura, Kobayashi,
            Kato, Yoshida, Yamada, Sasaki, Yamaguchi, Matsumoto, Inoue, Kimura, Hayashi,
            Shimizu, Mori, Abe, Ikeda, Hashimoto, Ishikawa
        """),
    ),
    "korean": Culture(
        _names("""
            Min-jun, Seo-yeon, Ji-ho, Ha-eun, Jae-won, Soo-ah, Hyun-woo, Ji-woo, Eun-ji,
            Dong-hyun, Ye-jin, Sung-min, Hye-jin, Jun-seo, Da-eun, Yoon-ah
        """),
        _names("""
            Kim, Lee, Park, Choi, Jung, Kang, Cho, Yoon, Jang, Lim, Han, Oh, Seo, Shin, Kwon,
            Hwang, Song, Baek
        """),
    ),
}


@dataclass(frozen=True)
class Country:
    """A customer country: its share of customers and the cultures of its names.

    code: ISO 3166-1 alpha-2. weight: relative share of the shop's customers.
    cultures: (culture, relative share) pairs; keys of ``CULTURES``.
    """

    code: str
    weight: float
    cultures: tuple[tuple[str, float], ...]


# An English-language web shop shipping internationally: most customers in the US and UK.
COUNTRIES: tuple[Country, ...] = (
    Country(
        "US",
        28.0,
        (
            ("anglo", 0.62),
            ("hispanic", 0.14),
            ("south_asian", 0.05),
            ("chinese", 0.04),
            ("african", 0.04),
            ("italian", 0.03),
            ("german", 0.03),
            ("korean", 0.02),
            ("arabic", 0.02),
            ("polish", 0.01),
        ),
    ),
    Country(
        "GB",
        14.0,
        (
            ("anglo", 0.75),
            ("south_asian", 0.08),
            ("african", 0.04),
            ("polish", 0.03),
            ("chinese", 0.03),
            ("arabic", 0.03),
            ("italian", 0.02),
            ("french", 0.02),
        ),
    ),
    Country(
        "DE",
        11.0,
        (
            ("german", 0.80),
            ("turkish", 0.07),
            ("polish", 0.05),
            ("italian", 0.04),
            ("arabic", 0.04),
        ),
    ),
    Country("FR", 8.0, (("french", 0.82), ("arabic", 0.09), ("african", 0.05), ("italian", 0.04))),
    Country(
        "CA",
        7.0,
        (
            ("anglo", 0.58),
            ("french", 0.18),
            ("chinese", 0.07),
            ("south_asian", 0.08),
            ("italian", 0.03),
            ("korean", 0.02),
            ("german", 0.02),
            ("hispanic", 0.02),
        ),
    ),
    Country(
        "AU",
        6.0,
        (
            ("anglo", 0.74),
            ("chinese", 0.08),
            ("south_asian", 0.06),
            ("italian", 0.05),
            ("korean", 0.02),
            ("german", 0.03),
            ("arabic", 0.02),
        ),
    ),
    Country("NL", 5.0, (("dutch", 0.84), ("turkish", 0.05), ("arabic", 0.06), ("german", 0.05))),
    Country("IE", 2.5, (("anglo", 0.90), ("polish", 0.06), ("south_asian", 0.04))),
    Country("SE", 2.5, (("nordic", 0.88), ("arabic", 0.05), ("polish", 0.03), ("german", 0.04))),
    Country("ES", 3.0, (("hispanic", 0.93), ("arabic", 0.04), ("italian", 0.03))),
    Country("IT", 3.0, (("italian", 0.94), ("arabic", 0.03), ("hispanic", 0.03))),
    Country("BE", 2.0, (("dutch", 0.52), ("french", 0.42), ("arabic", 0.06))),
    Country("CH", 2.0, (("german", 0.62), ("french", 0.24), ("italian", 0.14))),
    Country("AT", 1.5, (("german", 0.88), ("turkish", 0.06), ("polish", 0.06))),
    Country("DK", 1.2, (("nordic", 0.94), ("german", 0.06))),
    Country("NO", 1.0, (("nordic", 0.95), ("polish", 0.05))),
    Country("PL", 1.3, (("polish", 1.0),)),
    Country("JP", 1.2, (("japanese", 1.0),)),
    Country(
        "NZ", 1.2, (("anglo", 0.84), ("chinese", 0.08), ("south_asian", 0.05), ("korean", 0.03))
    ),
    Country("SG", 1.0, (("chinese", 0.78), ("south_asian", 0.12), ("anglo", 0.10))),
    Country("KR", 0.6, (("korean", 1.0),)),
    Country("IN", 0.8, (("south_asian", 1.0),)),
)
